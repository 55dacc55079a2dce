"""The selected crash probe's detail line: CPU, instant, outcome, cause, what covered it.

Every fact is the engine's ``ProbeExplanation`` (``Session.probe_explanations()``).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui import legend, palette
from tui.engine_link import ProbeExplanation

CAUSE_WORDS: dict[str, str] = {
    "unloaded": "no image loaded (a reload had unloaded it)",
    "kexec-locked": "the kexec lock was held (a load or update was writing the image)",
    "image-null": "the image was NULL (the in-kernel update was rewriting it)",
    "cpu-missing-in-fdt": "its CPU was not in the FDT (the capture kernel cannot boot on it)",
}
COVER_WORDS: dict[str, str] = {
    "load-end": "the reload's load finished",
    "update-end": "the in-kernel update finished",
    "lock-released": "the kexec lock was released",
    "unload-end": "the unload finished",
    "update-nospace": "the update gave up (NOSPACE)",
}


def detail_text(e: ProbeExplanation, index: int, count: int, now_s: float) -> Text:
    """``probe 2/5  CPU 143 at 7.270 s: no-dump ✗ cause ... · covered by ... at ...``."""
    glyph = legend.probe_glyph(e.result, e.cause)
    text = Text(no_wrap=False)
    text.append(f"probe {index + 1}/{count} ", style="bold")
    text.append(glyph.char, style=glyph.style)
    text.append(f" CPU {e.cpu} at {e.t_s:.3f} s: ")
    text.append(e.result, style=palette.BAD if e.lost else palette.GOOD)
    if e.cause:
        text.append(f"; cause: {CAUSE_WORDS.get(e.cause, e.cause)}")
    elif e.result == "incomplete":
        text.append("; cause: the elfcorehdr lacked some online memory")
    if not e.lost:
        return text
    cover = e.covered_by
    if cover is None:
        text.append(f"; nothing covered it up to now ({now_s:.3f} s)", style=palette.BAD)
    else:
        what = COVER_WORDS.get(cover.kind or "", cover.kind or "the state changed")
        later = cover.t_s - e.t_s
        text.append(f"; covered {later:.3f} s later, at {cover.t_s:.3f} s, when {what}")
        if not cover.held:
            text.append(" (only for an instant: the next reload began at once)")
    return text


class ProbeDetail(Static):
    """Shown while a probe is selected (``j``/``J``); hidden otherwise."""

    DEFAULT_CSS = """
    ProbeDetail { height: auto; padding: 0 1; display: none; }
    ProbeDetail.-shown { display: block; }
    """

    def show_probe(
        self, explanations: list[ProbeExplanation], seq: int | None, now_s: float
    ) -> None:
        index = next((i for i, e in enumerate(explanations) if e.seq == seq), None)
        self.set_class(index is not None, "-shown")
        if index is None:
            return
        self.update(detail_text(explanations[index], index, len(explanations), now_s))
