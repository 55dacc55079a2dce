"""The styles that carry meaning, chosen to stay readable under NO_COLOR.

Under ``NO_COLOR`` Textual turns every colour into its grey (``Monochrome``
filter), so a dark red or blue becomes a grey next to the background. Each
colour here is light enough that its grey stands out, and each meaning also
has a glyph or bold/reverse of its own (tests/test_tui_no_color.py measures it).
"""

from __future__ import annotations

ALARM = "bold #ffffff on #b00020"  # no dump now / lost: white on deep red
BAD = "bold #ff7a7a"  # a bad figure or glyph on the panel's background
WARN = "bold #ffd75f"
GOOD = "bold #87e087"
OK = "#87e087"
INFO = "bold #87d7ff"
MUTED = "#b0b0b0"  # secondary text that still reads (not dim)
