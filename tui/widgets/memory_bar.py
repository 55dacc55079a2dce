"""The memory view (``m``): the elfcorehdr's PT_LOAD ranges against the online memory.

What an ``incomplete`` outcome is about: memory online now that no PT_LOAD of the
loaded elfcorehdr lists is missing from a dump. The ranges are the engine's
(``Session.memory_coverage()``); this only lays them on columns.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from tui import fmt, palette
from tui.engine_link import MemoryCoverage

Ranges = Sequence[tuple[int, int]]
LOOKS: tuple[tuple[str, str, str], ...] = (  # (char, style, meaning), worst first
    ("▓", palette.ALARM, "online, in no PT_LOAD: missing from a dump"),
    ("░", palette.WARN, "in a PT_LOAD, offline now"),
    ("█", palette.GOOD, "online and in a PT_LOAD"),
)
ABSENT = ("·", palette.MUTED)


def _overlaps(ranges: Ranges, lo: int, hi: int) -> bool:
    return any(start < hi and lo < start + size for start, size in ranges)


def memory_cells(cov: MemoryCoverage, width: int) -> list[tuple[str, str]]:
    """One (char, style) per column of possible memory; a column shows its worst state."""
    total = max(cov.possible_bytes, 1)
    kinds = (cov.missing, cov.extra, cov.online)
    cells = []
    for col in range(width):
        lo, hi = col * total // width, (col + 1) * total // width
        look = next((LOOKS[i][:2] for i, r in enumerate(kinds) if _overlaps(r, lo, hi)), ABSENT)
        cells.append(look)
    return cells


def _sum(ranges: Ranges) -> int:
    return sum(size for _, size in ranges)


def memory_text(cov: MemoryCoverage, width: int) -> Text:
    width = max(width, 10)
    text = Text(no_wrap=True, overflow="ellipsis")
    if cov.complete:
        text.append("elfcorehdr COMPLETE", style=palette.GOOD)
    else:
        text.append(
            f"elfcorehdr INCOMPLETE: {fmt.size(_sum(cov.missing))} online", style=palette.ALARM
        )
        text.append(" memory in no PT_LOAD")
    text.append(
        f"  {len(cov.pt_load)} PT_LOAD, {fmt.size(_sum(cov.pt_load))} · online "
        f"{fmt.size(_sum(cov.online))} in {len(cov.online)} range"
        + ("s" if len(cov.online) != 1 else "")
    )
    text.append("\n")
    run_style, run = "", ""
    for char, style in memory_cells(cov, width):
        if style != run_style and run:
            text.append(run, style=run_style)
            run = ""
        run_style = style
        run += char
    text.append(run, style=run_style)
    right = f"{fmt.addr(cov.possible_bytes)} ({fmt.size(cov.possible_bytes)} possible)"
    text.append("\n" + "0x0".ljust(max(width - len(right), 4)) + right, style=palette.MUTED)
    text.append("\n")
    for char, style, meaning in LOOKS:
        text.append(char, style=style)
        text.append(f" {meaning}  ")
    if cov.missing:
        shown = ", ".join(f"{fmt.addr(s)}-{fmt.addr(s + n)}" for s, n in list(cov.missing)[:4])
        more = f" (+{len(cov.missing) - 4} more)" if len(cov.missing) > 4 else ""
        text.append(f"\nmissing: {shown}{more}", style="bold")
    return text


class MemoryBar(Widget):
    """In place of the crash region panel while the memory view is on; drawn at its width."""

    DEFAULT_CSS = """
    MemoryBar { height: auto; padding: 0 1; display: none; }
    MemoryBar.-shown { display: block; }
    """

    coverage: MemoryCoverage | None = None

    def show(self, coverage: MemoryCoverage) -> None:
        if coverage != self.coverage:
            self.coverage = coverage
            self.refresh(layout=True)

    def render(self) -> Text:
        if self.coverage is None:
            return Text("")
        return memory_text(self.coverage, self.content_region.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self.coverage is None:
            return 1
        return memory_text(self.coverage, width).plain.count("\n") + 1
