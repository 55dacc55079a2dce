"""The exposure chart (tui/widgets/exposure_chart.py): a braille polyline of the engine's
cumulative exposure, its scale and labels, and what it redraws."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_tui_app import drive
from tui.factory import make_app
from tui.widgets.exposure_chart import (
    BRAILLE_BLANK,
    DOT_BITS,
    TITLE,
    braille_rows,
    chart_strips,
    column_ranges,
    nice_top,
    value_at,
)

ROOT = Path(__file__).resolve().parent.parent
HOLE_TOO_SMALL = ROOT / "scenarios" / "hole_too_small.toml"
DEFAULT = ROOT / "scenarios" / "default.toml"


def lit_dots(grid: list[list[int]]) -> dict[int, list[int]]:
    """Dot column -> the dot rows lit in it, counted from the bottom."""
    rows = len(grid) * 4
    lit: dict[int, list[int]] = {}
    for cy, cells in enumerate(grid):
        for cx, bits in enumerate(cells):
            for r in range(4):
                for c in range(2):
                    if bits & DOT_BITS[r][c]:
                        lit.setdefault(2 * cx + c, []).append(rows - 1 - (4 * cy + r))
    return {col: sorted(rows_) for col, rows_ in lit.items()}


@st.composite
def monotonic_series(draw) -> list[tuple[float, float]]:
    """A cumulative exposure series: times and totals both non-decreasing."""
    steps = draw(st.lists(st.tuples(st.floats(0, 5), st.floats(0, 3)), min_size=1, max_size=40))
    t = e = 0.0
    series = [(0.0, 0.0)]
    for dt, de in steps:
        t, e = t + dt, e + min(de, dt)  # exposure grows at most as fast as time
        series.append((t, e))
    return series


@given(monotonic_series(), st.integers(2, 40), st.integers(1, 12))
def test_every_column_lights_one_joined_run_of_dots_that_never_goes_down(series, width, rows):
    """Monotonic in, monotonic out: each dot column's lit dots are contiguous (a steep rise
    stays joined), each column starts where the previous one ended, and the last lit
    column's top is the series' last value on the scale."""
    duration = max(series[-1][0], 1.0)
    top = nice_top(series[-1][1])
    lit = lit_dots(braille_rows(column_ranges(series, duration, 2 * width), top, width, rows))
    dots = 4 * rows
    assert lit, "column 0 is always drawn (the run starts at 0)"
    columns = sorted(lit)
    assert columns == list(range(len(columns)))  # no gap from t = 0 to now
    for col in columns:
        assert lit[col] == list(range(lit[col][0], lit[col][-1] + 1))
        if col:
            assert lit[col][0] == lit[col - 1][-1]  # joined to the previous column
    want = min(int(series[-1][1] / top * (dots - 1) + 0.5), dots - 1)
    assert lit[columns[-1]][-1] == want


def test_the_curve_stops_at_the_last_instant_of_the_series() -> None:
    """A run at 30 s of 90 s, on 60 dot columns (1.5 s each): columns 0..19 start before
    30 s and are drawn; the other 40 (from 30 s on) are empty."""
    series = [(0.0, 0.0), (10.0, 0.0), (20.0, 2.0), (30.0, 2.0)]
    ranges = column_ranges(series, 90.0, 60)
    assert len(ranges) == 20  # 30 s / 1.5 s
    assert ranges[0] == (0.0, 0.0)
    # column 8 is 12 .. 13.5 s: 0.4 .. 0.7 s of exposure (linear from 10 s to 20 s)
    assert ranges[8] == pytest.approx((0.4, 0.7))
    assert ranges[-1] == (2.0, 2.0)


def test_value_between_two_points_is_linear_and_flat_outside() -> None:
    series = [(1.0, 0.0), (3.0, 1.0)]
    assert value_at(series, 0.0) == 0.0
    assert value_at(series, 2.0) == 0.5
    assert value_at(series, 9.0) == 1.0


@pytest.mark.parametrize(
    ("y", "top"),
    [(0.0, 0.1), (0.1, 0.1), (0.11, 0.15), (2.368, 3), (7.188, 8), (24.1, 30), (85, 100)],
)
def test_the_scale_top_is_the_next_round_number(y, top) -> None:
    assert nice_top(y) == pytest.approx(top)


def test_the_chart_has_a_title_the_y_max_and_zero_and_the_x_range() -> None:
    """12 x 6 cells: title, 4 plot rows (the top one labelled 3, the bottom one 0), the
    x range 0 s .. 90 s; the curve is in braille."""
    series = [(0.0, 0.0), (10.0, 0.0), (20.0, 2.368)]
    lines = [s.text for s in chart_strips(series, 90.0, nice_top(2.368), 24, 6)]
    assert len(lines) == 6 and all(len(line) == 24 for line in lines)
    assert lines[0].strip() == TITLE
    assert lines[1].startswith("3┤")
    assert lines[4].startswith("0┤")
    assert lines[5].startswith(" └0 s") and lines[5].endswith("90 s")
    drawn = "".join(lines[1:5])
    assert any(BRAILLE_BLANK < ord(ch) <= BRAILLE_BLANK + 0xFF for ch in drawn)


def test_compare_mode_draws_both_charts_on_the_larger_runs_scale() -> None:
    """Issue 11 build 7: hole_too_small at 60 s, fdt-hole (24.1 s of exposure) against
    crash-hotplug (0.6 s): both charts' top is 30, the round number above 24.1."""
    app = make_app(HOLE_TOO_SMALL, "fdt-hole", at=60.0, compare="crash-hotplug")

    async def body(pilot, screen) -> None:
        exposures = [s.exposure_series()[-1][1] for s in screen.runs.sessions]
        assert exposures[0] > 20 > 1 > exposures[1]
        charts = [pane.stats.chart for pane in screen.panes]
        assert [c.top for c in charts] == [nice_top(max(exposures))] * 2 == [30.0, 30.0]
        labels = [c.render_line(1).text for c in charts]
        assert labels[0].startswith("30┤") and labels[1].startswith("30┤")

    drive(app, body, size=(160, 50))


def test_showing_the_series_already_drawn_builds_no_strips() -> None:
    """Paused, a sync with the same series keeps the strips it has (the same list);
    a step that changes the series builds new ones."""
    app = make_app(DEFAULT, "udev-reload", at=5.9)

    async def body(pilot, screen) -> None:
        pane = screen.panes[0]
        chart = pane.stats.chart
        drawn = chart._strips
        assert drawn
        pane.sync(chart=True)
        assert chart._strips is drawn
        for _ in range(20):
            await pilot.press("n")
        assert screen.runs.now_s > 5.9
        assert chart._strips is not drawn

    drive(app, body, size=(120, 40))
