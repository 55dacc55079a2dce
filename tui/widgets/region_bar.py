"""The crashkernel region drawn to scale: kexec segments, the FDT hole and its fill."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget

from tui import fmt, palette
from tui import textual_internals as internals

SEGMENT_STYLE: dict[str, str] = {  # light colours: their greys read under NO_COLOR
    "kernel": "bold #87afff",
    "initrd": "bold #ff87ff",
    "purgatory": "bold #87ffff",
    "elfcorehdr": palette.GOOD,
    "fdt": palette.WARN,
    "fdt-hole": palette.WARN,
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
            style, char = palette.BAD, "░"
        for col in range(first, last):
            cells[col] = (char, style)
    return cells


class RegionBar(Widget):
    """The crash region panel; redraws only when its ``RegionView`` changes.

    ``render()`` is the whole panel; it is drawn line by line (``render_line``), each
    line's strip cached while its text is unchanged, and a new view refreshes only
    the lines whose text changed (at high speeds the fill changes every frame, the
    legend almost never).
    """

    DEFAULT_CSS = """
    RegionBar { height: auto; min-height: 4; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.region_view: RegionView | None = None
        self._texts_key: tuple[object, ...] | None = None
        self._texts: list[Text] = []
        self._strips: dict[int, tuple[Text, int, Strip]] = {}  # y -> (line, width, strip)
        self._bar: tuple[object, list[Text]] = (None, [])  # the bar and its ends line
        self._legend_cache: tuple[object, list[Text]] = (None, [])

    def show(self, view: RegionView) -> None:
        """Redraw on change; lay out again only when the legend (hence the height) changes."""
        old = self.region_view
        if view == old:
            return
        if old is None or _shape(old) != _shape(view) or not self.content_region.width:
            self.region_view = view
            self.refresh(layout=True)
            return
        before = self._line_texts()
        self.region_view = view
        after = self._line_texts()
        if len(after) != len(before):
            self.refresh(layout=True)
            return
        width = self.content_region.width
        for y, (was, now) in enumerate(zip(before, after, strict=True)):
            if was != now:
                self.refresh(Region(0, y, width, 1))

    def _line_texts(self, width: int | None = None) -> list[Text]:
        """The panel's lines (``render()`` joins them) at ``width`` (default: the content
        width now), rebuilt when the view or the width changes."""
        width = self.content_region.width if width is None else width
        key = (self.region_view, width, self.has_class("-compact"))
        if key != self._texts_key:
            self._texts_key = key
            self._texts = self._build_lines(*key)
        return self._texts

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many lines as the panel has at the width being laid out (not the old one:
        a resize lays out before ``content_region`` has its new width)."""
        return max(len(self._line_texts(width)), 1)

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of ``render()``, drawn alone: the same strip, built only on change."""
        texts = self._line_texts()
        width = self.size.width
        if self.text_selection is not None or y >= len(texts):  # as Widget draws it
            lines = internals.whole_render_lines(self)
            return lines[y] if y < len(lines) else Strip.blank(width, self.visual_style.rich_style)
        internals.forget_dirty_regions(self)
        line = texts[y]
        cached = self._strips.get(y)
        if cached is not None and cached[1] == width and cached[0] == line:
            return cached[2]
        visual = visualize(self, line, markup=internals.render_markup(self))
        strip = Visual.to_strips(self, visual, width, 1, self.visual_style)[0]
        self._strips[y] = (line, width, strip)
        return strip

    def notify_style_update(self) -> None:
        self._strips.clear()  # theme or class change: the styles the strips carry
        super().notify_style_update()

    def render(self) -> Text:
        if self.region_view is None:
            return _line()
        return Text("\n", no_wrap=True, overflow="ellipsis").join(self._line_texts())

    def _build_lines(self, view: RegionView | None, width: int, compact: bool) -> list[Text]:
        if view is None:
            return []
        width = max(width, 10)
        image = {
            "loaded": ("image LOADED", palette.GOOD),
            "unloaded": ("image UNLOADED: a panic now takes no dump", palette.ALARM),
            "null": (
                "image NULL (in-kernel update): a panic now takes no dump",
                palette.ALARM,
            ),
        }[view.image]
        state = _line()
        state.append(image[0], style=image[1])
        if view.lock_holder:
            state.append(f"  kexec lock: {view.lock_holder}", style=palette.WARN)
        if view.hole_stale:
            state.append("  FDT STALE (no space)", style="bold reverse")
        busy = [s.name for s in view.segments if s.busy]
        if busy:
            state.append("  copying: " + ", ".join(busy), style=BUSY_STYLE)
        bar_key = (view.segments, view.image, view.base, view.size_bytes, width)
        if self._bar[0] != bar_key:
            bar = _line()
            for run, style in _runs(bar_cells(view, width)):
                bar.append(run, style=style)
            left = fmt.addr(view.base)
            right = f"{fmt.addr(view.base + view.size_bytes)} ({fmt.size(view.size_bytes)})"
            gap = " " * max(width - len(left) - len(right), 1)
            ends = _line().append(left + gap + right, style="dim")
            self._bar = (bar_key, [bar, ends])
        lines = [state, *self._bar[1]]
        if not compact:  # small terminal: bar, ends and fill only
            lines.extend(self._legend_lines(view.segments, width))
        lines.append(_line().append_text(self._hole_line(view)))
        return lines

    def _legend_lines(self, segments: tuple[SegmentView, ...], width: int) -> list[Text]:
        if self._legend_cache[0] == (segments, width):
            return self._legend_cache[1]
        entries = [self._legend(seg) for seg in segments]
        col_w = max((e.cell_len for e in entries), default=0) + 2
        per_line = max(width // col_w, 1) if col_w else 1
        lines: list[Text] = []
        for i, entry in enumerate(entries):
            if i % per_line == 0:
                lines.append(_line())
            entry.pad_right(col_w - entry.cell_len if i % per_line != per_line - 1 else 0)
            lines[-1].append_text(entry)
        self._legend_cache = ((segments, width), lines)
        return lines

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
        line.append("FDT fill " if view.in_hole else "FDT segment fill ", style=palette.WARN)
        line.append(f"{fmt.size(used)} / {fmt.size(size)} ({pct:.1f}%)")
        if view.hole_nodes_fit is not None and view.in_hole:
            line.append(f", room for {view.hole_nodes_fit} more CPU nodes")
        return line


def _line() -> Text:
    return Text(no_wrap=True, overflow="ellipsis")


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
