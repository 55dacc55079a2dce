"""The race timeline: one row per lane, a cursor at the simulated now, zoom, scroll, click to seek.

A Line-API ``ScrollView``: ``render_line`` serves cached strips; a lane's strip is
rebuilt only when its key (zoom, scroll, width, the lane's version, and the
cursor column while the lane has an open span) changes, and only the rows
whose strip changed are refreshed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui import legend
from tui.messages import SeekRequested
from tui.timeline_lanes import LANES, Cell, Lanes, column

ZOOMS_S: tuple[float, ...] = (
    0.001,
    0.002,
    0.005,
    0.01,
    0.02,
    0.05,
    0.1,
    0.2,
    0.5,
    1,
    2,
    5,
    10,
    20,
    50,
    100,
    200,
    500,
)
LABEL_W = 15  # the longest lane label, "udev/throttler", and the │
AXIS_ROWS = 1
PLAIN = Style()
LABEL_STYLE = Style(bold=True)
AXIS_STYLE = Style(dim=True)
CURSOR_STYLE = Style(bold=True, reverse=True)
CURSOR_BLANK = Style(bold=True, color="bright_white")
_styles: dict[str, Style] = {}


def _style(spec: str) -> Style:
    style = _styles.get(spec)
    if style is None:
        style = _styles[spec] = Style.parse(spec) if spec else PLAIN
    return style


def strip_of(cells: Sequence[Cell]) -> Strip:
    """Runs of equal style merged into one segment each."""
    segments: list[Segment] = []
    run: list[str] = []
    run_style = None
    for char, spec in cells:
        if spec != run_style and run:
            segments.append(Segment("".join(run), _style(run_style or "")))
            run = []
        run_style = spec
        run.append(char)
    if run:
        segments.append(Segment("".join(run), _style(run_style or "")))
    return Strip(segments, len(cells))


def tick_step_s(spc: float, min_cols: int = 12) -> float:
    """A 1-2-5 tick spacing at least ``min_cols`` columns apart."""
    target = spc * min_cols
    exp = math.floor(math.log10(target))
    for mult in (1, 2, 5, 10):
        step = mult * 10**exp
        if step >= target - 1e-12:
            return step
    return 10 ** (exp + 1)


def axis_cells(t_left_s: float, spc: float, width: int, duration_s: float) -> list[Cell]:
    cells: list[Cell] = [(" ", "")] * width
    step = tick_step_s(spc)
    k = math.ceil(t_left_s / step - 1e-9)
    while True:
        t = k * step
        col = round((t - t_left_s) / spc)
        if col >= width or t > duration_s + 1e-9:
            break
        label = f"┆{t:g}s"
        for i, ch in enumerate(label):
            if 0 <= col + i < width:
                cells[col + i] = (ch, "dim")
        k += 1
    return cells


class RaceTimeline(ScrollView, can_focus=True):
    """Lanes of the race, from ``feed()``; emits ``SeekRequested`` on click."""

    DEFAULT_CSS = """
    RaceTimeline { height: 10; scrollbar-size-horizontal: 1; scrollbar-size-vertical: 0; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lanes = Lanes()
        self.now_s = 0.0
        self.duration_s = 1.0
        self.spc: float | None = None  # seconds per column; None until fitted to the width
        self.user_zoomed = False
        self.exposure_between: Callable[[Sequence[float]], list[float]] | None = None
        self._cache: dict[int, tuple[tuple[Any, ...], Strip, list[Cell]]] = {}  # row -> key, plot
        self._rows: dict[int, tuple[Strip, int, Strip]] = {}  # row -> (plot, width, joined)
        self._drawn_cursor: int | None = None
        # (view, exposure per column) the readiness shading last asked the engine for
        self._shade_cache: tuple[tuple[float, float, int] | None, list[float]] = (None, [])

    # ---- data in -------------------------------------------------------------------------
    def reset(self) -> None:
        """A new run: forget every lane (zoom and scroll stay)."""
        self.lanes = Lanes()
        self._cache.clear()
        self._rows.clear()
        self._shade_cache = (None, [])
        self.now_s = 0.0
        self.refresh()

    @property
    def readiness_resume(self) -> int:
        """The readiness index the next ``feed`` should start from (``readiness_from``)."""
        return self.lanes.readiness_resume

    def feed(
        self,
        records: Sequence[Any],
        readiness: Sequence[Any],
        now_s: float,
        duration_s: float,
        readiness_from: int = 0,
        exposure_between: Callable[[Sequence[float]], list[float]] | None = None,
    ) -> None:
        """New records (the whole trace; only its unseen tail is read), readiness and now.

        ``readiness`` holds the segments from index ``readiness_from`` on
        (``Session.readiness_since(readiness_resume)``), the last one being the current one.
        ``exposure_between`` (``Session.exposure_between``) shades the readiness lane.
        """
        if exposure_between is not None:
            self.exposure_between = exposure_between
        self.lanes.ingest(records)
        self.lanes.ingest_readiness(readiness, readiness_from)
        self.now_s = now_s
        if duration_s != self.duration_s:
            self.duration_s = duration_s
            if not self.user_zoomed:
                self.spc = None
            self._fit()
        self._refresh_changed()

    # ---- geometry ------------------------------------------------------------------------
    @property
    def plot_width(self) -> int:
        return max(self.size.width - LABEL_W, 1)

    @property
    def t_left_s(self) -> float:
        return self.scroll_offset.x * (self.spc or 1.0)

    @property
    def cursor_col(self) -> int:
        """The cursor's column in the plot (may be outside 0..plot_width)."""
        spc = self.spc or 1.0
        return column(self.now_s, spc) - self.scroll_offset.x

    def _fit(self) -> None:
        if self.spc is None and self.size.width > LABEL_W:
            need = self.duration_s / self.plot_width
            self.spc = next((z for z in ZOOMS_S if z >= need), ZOOMS_S[-1])
        spc = self.spc or 1.0
        self.virtual_size = Size(
            LABEL_W + math.ceil(self.duration_s / spc) + 1, AXIS_ROWS + len(LANES)
        )

    def on_resize(self, event: events.Resize) -> None:
        if not self.user_zoomed:
            self.spc = None
        self._fit()
        self._cache.clear()
        self._rows.clear()

    def zoom_by(self, steps: int) -> None:
        """Zoom in (steps < 0) or out (steps > 0) around the instant looked at: the cursor
        when it is on screen (then centred), else the middle of the view, kept there."""
        spc = self.spc
        if spc is None:
            return
        index = min(range(len(ZOOMS_S)), key=lambda i: abs(ZOOMS_S[i] - spc))
        index = min(max(index + steps, 0), len(ZOOMS_S) - 1)
        self.zoom_to(ZOOMS_S[index])

    def zoom_to(self, spc: float, around_s: float | None = None) -> None:
        """``spc`` seconds per column, keeping ``around_s`` (default: the instant looked
        at) on the same screen column."""
        old = self.spc or 1.0
        col = self.cursor_col
        if around_s is None:
            if 0 <= col < self.plot_width:  # the cursor on screen: it ends up centred
                around_s, col = self.now_s, self.plot_width // 2
            else:
                col = self.plot_width // 2
                around_s = self.t_left_s + col * old
        else:
            col = math.floor((around_s - self.t_left_s) / old)
            if not 0 <= col < self.plot_width:
                col = self.plot_width // 2
        self.spc = spc
        self.user_zoomed = True
        self._fit()
        self.scroll_to_col(math.floor(around_s / spc) - col)
        self.refresh()

    def fit_run(self) -> None:
        """The whole run in the view: the finest zoom at which it fits."""
        need = self.duration_s / self.plot_width
        self.spc = next((z for z in ZOOMS_S if z >= need), ZOOMS_S[-1])
        self.user_zoomed = False
        self._fit()
        self.scroll_to_col(0)
        self.refresh()

    def scroll_to_col(self, col: int) -> None:
        """Scroll now, with no animation, even before the scrollbar has been laid out."""
        col = min(max(col, 0), self.max_scroll_x)
        self.scroll_target_x = col
        self.scroll_x = col

    def show_instant(self, t_s: float) -> None:
        """Scroll so ``t_s`` is on screen (a jump's landing), keeping the zoom."""
        col = column(t_s, self.spc or 1.0) - self.scroll_offset.x
        if not 0 <= col < self.plot_width:
            self.scroll_to_col(column(t_s, self.spc or 1.0) - self.plot_width // 2)

    def scroll_by_screens(self, screens: float) -> None:
        self.scroll_to_col(max(self.scroll_offset.x + int(screens * self.plot_width), 0))

    def follow_cursor(self) -> None:
        """Scroll so the cursor is on screen (playback keeps it in the right quarter)."""
        col = self.cursor_col
        if 0 <= col < self.plot_width:
            return
        target = math.floor(self.now_s / (self.spc or 1.0)) - self.plot_width * 3 // 4
        self.scroll_to_col(max(target, 0))

    # ---- rendering -----------------------------------------------------------------------
    def _view(self) -> tuple[float, int, int]:
        """(seconds per column, scroll column, plot width): read once per call that needs
        them, as Textual's ``size`` walks the screen's map each time it is read."""
        return (self.spc or 1.0, self.scroll_offset.x, self.plot_width)

    def _key(self, row: int, view: tuple[float, int, int]) -> tuple[Any, ...]:
        base = (self.spc, view[1], view[2])
        if row < AXIS_ROWS:
            return (*base, self.duration_s)
        lane = self.lanes.lanes[LANES[row - AXIS_ROWS][0]]
        live = column(self.now_s, view[0]) - view[1] if lane.open_spans else None
        return (*base, lane.version, live)

    def _refresh_changed(self) -> None:
        """Redraw the old and new cursor columns, and the rows whose strip changed."""
        width = self.size.width
        rows = AXIS_ROWS + len(LANES)
        view = self._view()
        cursor, drawn = column(self.now_s, view[0]) - view[1], self._drawn_cursor
        if cursor != drawn:
            self._drawn_cursor = cursor
            for col in (drawn, cursor):
                if col is not None and 0 <= col < view[2]:
                    self.refresh(Region(LABEL_W + col, -self.scroll_offset.y, 1, rows))
        for row in range(rows):
            cached = self._cache.get(row)
            if cached is None or cached[0] != self._key(row, view):
                self.refresh(Region(0, row - self.scroll_offset.y, width, 1))

    def lane_strip(self, row: int) -> Strip:
        """The row's plot part without the cursor, from the cache when its key is unchanged."""
        return self._lane(row, self._view())[0]

    def _lane(self, row: int, view: tuple[float, int, int]) -> tuple[Strip, list[Cell]]:
        """The row's plot strip and its cells (the cursor reads its column's character)."""
        key = self._key(row, view)
        cached = self._cache.get(row)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        spc, width = view[0], view[2]
        if row < AXIS_ROWS:
            cells = axis_cells(self.t_left_s, spc, width, self.duration_s)
        else:
            lane = self.lanes.lanes[LANES[row - AXIS_ROWS][0]]
            cells = lane.cells(self.t_left_s, spc, width, self.now_s)
            if lane.name == "readiness":
                cells = self._shade(cells, spc, width, lane.painted_from)
        strip = strip_of(cells)
        self._cache[row] = (key, strip, cells)
        return strip, cells

    def _shade(self, cells: list[Cell], spc: float, width: int, painted_from: int) -> list[Cell]:
        """Each readiness column as tall as its share of time with no dump (the engine's
        exposure over the column), so a 5 ms window at 1 s a column is a sliver.

        The engine is asked only for the columns from ``painted_from`` on (the lane's
        readiness changed nowhere before it); the others keep last time's answer.
        """
        if self.exposure_between is None:
            return cells
        left = round(self.t_left_s / spc) * spc
        last = min(width, max(column(self.now_s, spc) - round(self.t_left_s / spc) + 1, 0))
        if last <= 0:
            return cells
        view = (left, spc, width)
        known_view, known = self._shade_cache
        keep = min(painted_from, len(known), last) if known_view == view else 0
        edges = [left + i * spc for i in range(keep, last + 1)]
        exposure = known[:keep] + self.exposure_between(edges)
        self._shade_cache = (view, exposure)
        style = legend.NO_DUMP.style
        for i, e in enumerate(exposure):
            t0 = left + i * spc
            span = min(t0 + spc, self.now_s) - t0
            if span <= 0:
                continue
            if e > 0:
                cells[i] = (legend.no_dump_level(min(e / span, 1.0)), style)
            elif cells[i][0] in legend.NO_DUMP_LEVELS:
                cells[i] = (legend.READY.char, legend.READY.style)
        return cells

    def _row_strip(self, row: int, width: int, plot: Strip) -> Strip:
        """Label gutter and plot of a row, without the cursor: joined once per plot strip
        (the cursor moves every playing frame, the plot less often)."""
        joined = self._rows.get(row)
        if joined is not None and joined[0] is plot and joined[1] == width:
            return joined[2]
        label = "t" if row < AXIS_ROWS else LANES[row - AXIS_ROWS][1]
        gutter = Strip(
            [Segment(label[: LABEL_W - 1].ljust(LABEL_W - 1) + "│", LABEL_STYLE)], LABEL_W
        )
        strip = Strip.join([gutter, plot]).adjust_cell_length(width, PLAIN)
        self._rows[row] = (plot, width, strip)
        return strip

    def render_line(self, y: int) -> Strip:
        row = y + self.scroll_offset.y
        width = self.size.width
        if row >= AXIS_ROWS + len(LANES) or width <= 0:
            return Strip.blank(width, PLAIN)
        view = self._view()
        plot, cells = self._lane(row, view)
        line = self._row_strip(row, width, plot)
        col = column(self.now_s, view[0]) - view[1]
        if 0 <= col < min(view[2], width - LABEL_W):
            x = LABEL_W + col
            char = cells[col][0] if col < len(cells) else " "
            if row < AXIS_ROWS:
                cell = Segment("▼", CURSOR_BLANK)
            elif char == " ":
                cell = Segment("│", CURSOR_BLANK)
            else:
                cell = Segment(char, CURSOR_STYLE)
            line = Strip.join([line.crop(0, x), Strip([cell], 1), line.crop(x + 1)])
        return line

    # ---- input ---------------------------------------------------------------------------
    def time_at(self, x: int) -> float | None:
        """Simulated time under content column ``x`` (None in the gutter)."""
        if x < LABEL_W or self.spc is None:
            return None
        t = (self.scroll_offset.x + x - LABEL_W + 0.5) * self.spc
        return min(max(t, 0.0), self.duration_s)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        t = self.time_at(offset.x)
        if t is not None:
            self.post_message(SeekRequested(t))
