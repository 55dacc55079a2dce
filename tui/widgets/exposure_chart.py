"""The cumulative exposure chart: a braille line drawn with the Line API (no plotext).

``Session.exposure_series()`` is exact as a polyline: P(no dump) is constant between
two of its points, so the cumulative exposure is linear there. Each braille column
(two a cell) covers a slice of simulated time; the curve being monotonic, the slice's
lowest value is at its left edge and its highest at its right edge, and the column
lights every dot between the two, so a rise steeper than a dot a column stays joined.

The strips are built once per change of series, size or scale, and served from a
list by ``render_line``; ``show`` with what is already drawn redraws nothing. Only
the rows whose strip changed are refreshed. The curve and labels keep their meaning
under NO_COLOR: the curve is bold and light, the labels a light grey (``palette``).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from tui import palette

TITLE = "cumulative exposure (s)"
# braille dot bits, [dot row from the top][dot column] (Unicode's braille patterns)
DOT_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
BRAILLE_BLANK = 0x2800
MIN_TOP_S = 0.1  # the y scale of a run with no exposure yet: a flat line at the bottom
CURVE = Style.parse(palette.BAD)  # exposure is the bad figure, as in the stats line
LABEL = Style.parse(palette.MUTED)
AXIS = Style.parse(palette.MUTED)
TITLE_STYLE = Style(bold=True)
PLAIN = Style()


TOP_STEPS = (1, 1.5, 2, 3, 4, 5, 6, 8, 10)  # round labels; the curve fills >= 3/4 of the height


def nice_top(y_max: float) -> float:
    """The y scale's top: the smallest round step (``TOP_STEPS`` x 10^k) that is at least
    ``y_max`` (and ``MIN_TOP_S``), so the label reads as a round number."""
    y = max(y_max, MIN_TOP_S)
    exp = math.floor(math.log10(y))
    for mult in TOP_STEPS:
        top = round(mult * 10.0**exp, 12)  # 1.5 x 0.1 reads 0.15, not 0.15000000000000002
        if top >= y * (1 - 1e-12):
            return top
    return 10.0 ** (exp + 1)


def value_at(series: Sequence[tuple[float, float]], t_s: float) -> float:
    """The series at ``t_s``, linear between its points (and flat before the first)."""
    i = bisect_right(series, t_s, key=lambda p: p[0])
    if i == 0:
        return series[0][1]
    if i == len(series):
        return series[-1][1]
    (t0, e0), (t1, e1) = series[i - 1], series[i]
    return e0 if t1 <= t0 else e0 + (e1 - e0) * (t_s - t0) / (t1 - t0)


def column_ranges(
    series: Sequence[tuple[float, float]], duration_s: float, columns: int
) -> list[tuple[float, float]]:
    """(lowest, highest) of the series over each of ``columns`` equal slices of
    ``0 .. duration_s``, for the slices that start before the series' last instant."""
    if not series or columns <= 0:
        return []
    end_s = series[-1][0]
    dt = max(duration_s, 1e-9) / columns
    ranges: list[tuple[float, float]] = []
    left = value_at(series, 0.0)
    for c in range(columns):
        t0 = c * dt
        if c and t0 >= end_s:
            break
        right = value_at(series, min(t0 + dt, end_s))
        ranges.append((left, right))
        left = right
    return ranges


def braille_rows(
    ranges: Sequence[tuple[float, float]], top: float, width: int, rows: int
) -> list[list[int]]:
    """The braille bits of each cell, ``rows`` x ``width`` cells, for the column ranges
    (two columns a cell) on ``0 .. top``: every dot between a column's low and high."""
    grid = [[0] * width for _ in range(rows)]
    dots = rows * 4
    for c, (low, high) in enumerate(ranges[: 2 * width]):
        lo = min(int(low / top * (dots - 1) + 0.5), dots - 1)
        hi = min(int(high / top * (dots - 1) + 0.5), dots - 1)
        for d in range(lo, hi + 1):  # d: dot row from the bottom
            from_top = dots - 1 - d
            grid[from_top // 4][c // 2] |= DOT_BITS[from_top % 4][c % 2]
    return grid


def _fmt(value: float) -> str:
    return f"{value:g}"


def chart_strips(
    series: Sequence[tuple[float, float]], duration_s: float, top: float, width: int, height: int
) -> list[Strip]:
    """The chart's lines: title, the plot with the y labels (top and 0) in a gutter, and
    the x range (0 and the run's duration) under it.

    Every character drawn is one cell wide (ASCII, box drawing, braille), so each strip
    is given its width: Rich would otherwise measure the braille character by character.
    """
    if width <= 0 or height <= 0:
        return []
    title = Strip([Segment(TITLE.center(width)[:width], TITLE_STYLE)], width)
    top_label, zero = _fmt(top), "0"
    gutter = max(len(top_label), len(zero)) + 1
    plot_w, plot_h = width - gutter, height - 2
    if plot_h < 1 or plot_w < 2:  # no room for a plot: the title says what would be here
        return [title] + [Strip.blank(width, PLAIN)] * (height - 1)
    grid = braille_rows(column_ranges(series, duration_s, 2 * plot_w), top, plot_w, plot_h)
    lines = [title]
    for row, bits in enumerate(grid):
        label = top_label if row == 0 else zero if row == plot_h - 1 else ""
        cells = "".join(chr(BRAILLE_BLANK | b) if b else " " for b in bits)
        segments = [
            Segment(label.rjust(gutter - 1), LABEL),
            Segment("┤" if label else "│", AXIS),
            Segment(cells, CURVE),
        ]
        lines.append(Strip(segments, width))
    end = f"{_fmt(duration_s)} s"
    xs = ("0 s".ljust(max(plot_w - len(end), 4)) + end)[:plot_w].ljust(plot_w)
    lines.append(Strip([Segment(" " * (gutter - 1) + "└", AXIS), Segment(xs, LABEL)], width))
    return lines


class ExposureChart(Widget):
    """The cumulative exposure over ``0 .. duration_s``; ``show()`` gives it the series."""

    DEFAULT_CSS = """
    ExposureChart { height: 1fr; min-height: 3; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.series: Sequence[tuple[float, float]] = [(0.0, 0.0)]
        self.duration_s = 1.0
        self.top = MIN_TOP_S
        self._strips: list[Strip] = []
        self._drawn: tuple[Any, ...] | None = None  # (size, duration, top) they were built at
        self._drawn_series: Sequence[tuple[float, float]] = ()

    def show(
        self,
        series: Sequence[tuple[float, float]],
        duration_s: float,
        *,
        y_max: float | None = None,
    ) -> None:
        """The series (``Session.exposure_series()``, monotonic) on ``0 .. y_max``
        (default: its own last value; compare mode gives both charts the larger one)."""
        self.series = series
        self.duration_s = duration_s
        self.top = nice_top(series[-1][1] if y_max is None else y_max)
        self._rebuild()

    def _rebuild(self) -> None:
        size = self.size
        key = (size.width, size.height, self.duration_s, self.top)
        if key == self._drawn and self.series == self._drawn_series:  # ~0.1 ms at 5000 points
            return
        self._drawn, self._drawn_series = key, self.series
        old = self._strips
        self._strips = chart_strips(self.series, self.duration_s, self.top, *size)
        if len(old) != len(self._strips):
            self.refresh()
            return
        for y, (before, after) in enumerate(zip(old, self._strips, strict=True)):
            if before != after:
                self.refresh(Region(0, y, size.width, 1))

    def on_resize(self) -> None:
        self._rebuild()

    def render_line(self, y: int) -> Strip:
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, PLAIN)
