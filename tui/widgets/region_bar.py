"""The crashkernel region drawn to scale: kexec segments, the FDT hole and its fill."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from tui import fmt

SEGMENT_STYLE: dict[str, str] = {
    "kernel": "bold blue",
    "initrd": "bold magenta",
    "purgatory": "bold cyan",
    "elfcorehdr": "bold green",
    "fdt": "bold yellow",
    "fdt-hole": "bold yellow",
}
BUSY_STYLE = "bold black on bright_yellow"
FREE_STYLE = Style(dim=True)


@dataclass(frozen=True, slots=True)
class SegmentView:
    name: str
    address: int
    size_bytes: int
    busy: bool


@dataclass(frozen=True, slots=True)
class RegionView:
    """Everything the bar shows, taken from the session; equal views draw the same."""

    base: int
    size_bytes: int
    segments: tuple[SegmentView, ...]
    image: str  # "loaded" | "unloaded" | "null"
    lock_holder: str | None
    hole_used_bytes: int
    hole_size_bytes: int
    hole_nodes_fit: int | None
    hole_stale: bool
    in_hole: bool

    @classmethod
    def of(cls, session: Any, nodes_fit: int | None) -> RegionView:
        region, image, hole = session.region, session.image, session.hole
        pieces = list(region.segments)
        if region.hole is not None:
            pieces.append(region.hole)
        busy = image.busy_segments
        segments = tuple(
            SegmentView(
                s.name,
                s.address,
                s.size_bytes,
                s.name in busy or (s.name == "fdt-hole" and "fdt" in busy),
            )
            for s in sorted(pieces, key=lambda s: s.address)
        )
        state = "null" if image.null else ("loaded" if image.loaded else "unloaded")
        return cls(
            region.base,
            region.size_bytes,
            segments,
            state,
            image.lock_holder,
            hole.used_bytes,
            hole.size_bytes,
            nodes_fit,
            hole.stale,
            region.hole is not None,
        )


def bar_cells(view: RegionView, width: int) -> list[tuple[str, str | Style]]:
    """One (char, style) per column: each segment to scale, at least one column wide."""
    cells: list[tuple[str, str | Style]] = [("·", FREE_STYLE)] * width
    if width <= 0 or view.size_bytes <= 0:
        return cells
    unloaded = view.image != "loaded"
    for seg in view.segments:
        first = (seg.address - view.base) * width // view.size_bytes
        last = -(-(seg.address + seg.size_bytes - view.base) * width // view.size_bytes)
        first = min(max(first, 0), width - 1)
        last = min(max(last, first + 1), width)
        style: str | Style = SEGMENT_STYLE.get(seg.name, "bold")
        char = "█"
        if seg.busy:
            style, char = BUSY_STYLE, "▓"
        elif unloaded and seg.name != "fdt-hole":
            style, char = "dim red", "░"
        for col in range(first, last):
            cells[col] = (char, style)
    return cells


class RegionBar(Widget):
    """The crash region panel; redraws only when its ``RegionView`` changes."""

    DEFAULT_CSS = """
    RegionBar { height: auto; min-height: 4; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.region_view: RegionView | None = None

    def show(self, view: RegionView) -> None:
        """Redraw on change; lay out again only when the legend (hence the height) changes."""
        old = self.region_view
        if view == old:
            return
        self.region_view = view
        self.refresh(layout=old is None or _shape(old) != _shape(view))

    def render(self) -> Text:
        view = self.region_view
        text = Text(no_wrap=True, overflow="ellipsis")
        if view is None:
            return text
        width = max(self.content_region.width, 10)
        image = {
            "loaded": ("image LOADED", "bold green"),
            "unloaded": ("image UNLOADED: a panic now takes no dump", "bold white on red"),
            "null": (
                "image NULL (in-kernel update): a panic now takes no dump",
                "bold white on red",
            ),
        }[view.image]
        text.append(image[0], style=image[1])
        if view.lock_holder:
            text.append(f"  kexec lock: {view.lock_holder}", style="bold yellow")
        busy = [s.name for s in view.segments if s.busy]
        if busy:
            text.append("  copying: " + ", ".join(busy), style=BUSY_STYLE)
        text.append("\n")
        for run, style in _runs(bar_cells(view, width)):
            text.append(run, style=style)
        left = fmt.addr(view.base)
        right = f"{fmt.addr(view.base + view.size_bytes)} ({fmt.size(view.size_bytes)})"
        text.append("\n" + left + " " * max(width - len(left) - len(right), 1) + right, style="dim")
        if self.has_class("-compact"):  # small terminal: bar, ends and fill only
            text.append("\n")
            text.append_text(self._hole_line(view))
            return text
        entries = [self._legend(seg) for seg in view.segments]
        col_w = max((e.cell_len for e in entries), default=0) + 2
        per_line = max(width // col_w, 1) if col_w else 1
        for i, entry in enumerate(entries):
            text.append("\n" if i % per_line == 0 else "")
            entry.pad_right(col_w - entry.cell_len if i % per_line != per_line - 1 else 0)
            text.append_text(entry)
        text.append("\n")
        text.append_text(self._hole_line(view))
        return text

    @staticmethod
    def _legend(seg: SegmentView) -> Text:
        entry = Text()
        entry.append("■ ", style=BUSY_STYLE if seg.busy else SEGMENT_STYLE.get(seg.name, ""))
        entry.append(f"{seg.name} {fmt.addr(seg.address)} {fmt.size(seg.size_bytes)}")
        return entry

    @staticmethod
    def _hole_line(view: RegionView) -> Text:
        line = Text()
        used, size = view.hole_used_bytes, view.hole_size_bytes
        pct = 100.0 * used / size if size else 0.0
        line.append("FDT fill " if view.in_hole else "FDT segment fill ", style="bold yellow")
        line.append(f"{fmt.size(used)} / {fmt.size(size)} ({pct:.1f}%)")
        if view.hole_nodes_fit is not None and view.in_hole:
            line.append(f", room for {view.hole_nodes_fit} more CPU nodes")
        if view.hole_stale:
            line.append("  STALE (no space)", style="bold white on red")
        return line


def _shape(view: RegionView) -> tuple[object, ...]:
    """What the bar's height depends on: its legend entries."""
    return (view.in_hole, tuple((s.name, s.address, s.size_bytes) for s in view.segments))


def _runs(cells: list[tuple[str, str | Style]]) -> list[tuple[str, str | Style]]:
    """Neighbouring cells of one style merged: one span each, not one per column."""
    runs: list[tuple[str, str | Style]] = []
    for char, style in cells:
        if runs and runs[-1][1] == style:
            runs[-1] = (runs[-1][0] + char, style)
        else:
            runs.append((char, style))
    return runs
