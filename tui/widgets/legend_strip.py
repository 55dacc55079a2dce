"""The legend strip under the timelines (``l``): every glyph of every lane, from tui.legend."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui import legend


def legend_text() -> Text:
    """``lane: glyph meaning · glyph meaning`` for each lane, one lane after another."""
    text = Text()
    for i, (label, glyphs) in enumerate(legend.entries()):
        if i:
            text.append("   ")
        text.append(f"{label}: ", style="bold")
        for j, g in enumerate(glyphs):
            if j:
                text.append(" · ")
            text.append(g.char, style=g.style)
            text.append(f" {g.meaning}")
    return text


class LegendStrip(Static):
    """Hidden until ``l``; the same words as the help screen's legend."""

    DEFAULT_CSS = """
    LegendStrip { height: auto; padding: 0 1; display: none; border: round $primary-darken-1; }
    LegendStrip.-shown { display: block; }
    """

    def on_mount(self) -> None:
        self.border_title = "legend (l to hide)"
        self.update(legend_text())
