"""Issue 11's seven bugs, each as the user met it (these failed before their fixes)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_tui_app import drive, screen_text
from tui.factory import make_app
from tui.frame_cycle import METRICS_EVERY_FRAMES
from tui.screens.main import MainScreen
from tui.widgets.header import SimHeader

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "scenarios" / "default.toml"
HOLE_TOO_SMALL = ROOT / "scenarios" / "hole_too_small.toml"
MIXED = ROOT / "scenarios" / "mixed_churn.toml"


def drive_notified(app, body, size=(160, 50)) -> None:
    """``drive`` with notifications on screen (``run_test`` hides them by default)."""

    async def run() -> None:
        async with app.run_test(size=size, notifications=True) as pilot:
            await pilot.pause()
            await body(pilot, app.storm)

    asyncio.run(run())


def toasts(app) -> str:
    """The notifications on screen, unwrapped."""
    from textual.widgets._toast import Toast

    return " ".join(str(t.render()) for t in app.screen.query(Toast))


def shown_metrics(screen: MainScreen, i: int = 0):
    metrics = screen.panes[i].stats.metrics
    assert metrics is not None
    return metrics


def test_pausing_shows_the_stats_of_the_instant_paused_at() -> None:
    """Bug 1: play x10 for 7 frames (metrics refresh every 8), pause: the stats are
    those of the header's instant, not of the last refresh."""
    app = make_app(DEFAULT, "udev-reload", speed=10, at=5.0)

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.press("p")
        screen.advance_frames(METRICS_EVERY_FRAMES - 1)  # 7 x 10/30 s: to 7.333 s
        await pilot.press("p")
        session = screen.runs.sessions[0]
        truth = session.metrics(monte_carlo_runs=0)
        shown = shown_metrics(screen)
        assert screen.query_one(SimHeader).now_s == session.now_s == pytest.approx(5 + 70 / 30)
        assert shown.exposure_s == truth.exposure_s
        assert shown.at_risk_s == truth.at_risk_s
        assert screen.panes[0].stats.series[-1] == session.exposure_series()[-1]

    drive(app, body)


def test_while_playing_stats_and_chart_lag_at_most_one_refresh_period() -> None:
    """Bug 1: mixed_churn at x100: after every frame the stats and the chart are at most
    METRICS_EVERY_FRAMES frames (8 x 100/30 s = 26.7 s simulated) behind the clock."""
    app = make_app(MIXED, "udev-reload", speed=100)

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.press("p")
        period_s = METRICS_EVERY_FRAMES * 100 / 30
        for _ in range(40):  # 40 frames: 133 s
            screen.advance_frames(1)
            now = screen.runs.now_s
            assert shown_metrics(screen).elapsed_s >= now - period_s - 1e-9
            assert screen.panes[0].stats.series[-1][0] >= now - period_s - 1e-9

    drive(app, body)


@pytest.mark.parametrize(
    ("typed", "why"),
    [("999", "not a possible thread (0 to 511)"), ("-1", "not a possible thread (0 to 511)")],
)
def test_crash_on_a_cpu_that_is_not_possible_is_refused_and_records_nothing(typed, why) -> None:
    """Bug 2: ``k 999`` and ``k -1`` were recorded as lost dumps."""
    app = make_app(DEFAULT, "udev-reload", at=5.9)

    async def body(pilot, screen: MainScreen) -> None:
        records = len(screen.runs.sessions[0].records)
        await pilot.press("k")
        await pilot.pause()
        for _ in range(10):
            await pilot.press("backspace")
        await pilot.press(*typed, "enter")
        await pilot.pause()
        assert screen.last_crash == []
        assert len(screen.runs.sessions[0].records) == records
        assert screen.runs.sessions[0].sim.probes == []
        assert why in toasts(app)

    drive_notified(app, body)


def test_crash_on_a_possible_but_offline_cpu_says_so_and_records_nothing() -> None:
    app = make_app(DEFAULT, "udev-reload", at=5.9)

    async def body(pilot, screen: MainScreen) -> None:
        session = screen.runs.sessions[0]
        offline = max(session.machine.online_threads) + 1
        assert offline < session.machine.threads_possible
        records = len(session.records)
        assert screen.crash(offline) == []
        await pilot.pause()
        assert len(session.records) == records
        assert f"thread {offline} is offline" in toasts(app)

    drive_notified(app, body)


def test_compare_mode_on_hole_too_small_shows_nospace_probes_and_stale_in_full() -> None:
    """Bug 3: the stats stopped at ``FDT 27.7 KiB (99.1%),``; the region at ``STALE (no``."""
    app = make_app(HOLE_TOO_SMALL, "fdt-hole", at=60.0, compare="crash-hotplug")

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.pause()
        text = screen_text(app)
        assert "STALE (no space)" in text
        table = screen.compare_table_text()
        assert "NOSPACE" in table and "probes lost" in table
        nospace = [s.metrics(monte_carlo_runs=0).fdt_hole.nospace for s in screen.runs.sessions]
        row = next(line for line in text.splitlines() if line.startswith("│ NOSPACE"))
        assert row.split()[2:4] == [str(n) for n in nospace]  # │ NOSPACE 14 0 ...
        assert nospace[0] > 0

    drive(app, body, size=(160, 50))


def test_80x24_header_keeps_time_speed_and_play_state() -> None:
    """Bug 4: at 80x24 the header lost its time, speed and play state."""
    app = make_app(DEFAULT, "udev-reload", at=5.9)

    async def body(pilot, screen: MainScreen) -> None:
        header = screen_text(app).splitlines()[0]
        assert "t = 5.900 s" in header and "x1" in header and "paused" in header
        assert "udev-reload" in header

    drive(app, body, size=(80, 24))


def test_40x12_header_keeps_strategy_and_time() -> None:
    app = make_app(DEFAULT, "udev-reload", at=5.9)

    async def body(pilot, screen: MainScreen) -> None:
        header = screen_text(app).splitlines()[0]
        assert "udev-reload" in header and "5.900" in header

    drive(app, body, size=(40, 12))


def test_region_panel_has_no_blank_lines_after_shrinking_and_growing_back() -> None:
    """Bug 4: after 160x50 -> 40x12 -> 160x50 the region panel kept blank lines."""
    app = make_app(DEFAULT, "udev-reload", at=5.9)

    async def body(pilot, screen: MainScreen) -> None:
        bar = screen.panes[0].region_bar
        lines_before = bar.size.height
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        await pilot.resize_terminal(160, 50)
        await pilot.pause()
        assert bar.size.height == lines_before
        rows = [bar.render_line(y).text.strip() for y in range(bar.size.height)]
        assert all(rows), rows

    drive(app, body, size=(160, 50))


def test_zoom_keeps_the_instant_being_looked_at_in_view() -> None:
    """Bug 6: ``[`` back to 0-14 s, ``z``: the view jumped to the end (the cursor)."""
    app = make_app(DEFAULT, "udev-reload", at=80.0)

    async def body(pilot, screen: MainScreen) -> None:
        timeline = screen.panes[0].timeline
        await pilot.press("z", "z")  # a view of some 20 s around the cursor at 80 s
        timeline.scroll_to_col(0)  # as ``[`` pressed until t = 0
        await pilot.pause()
        centre = timeline.t_left_s + timeline.plot_width * timeline.spc / 2
        await pilot.press("z")
        await pilot.pause()
        right = timeline.t_left_s + timeline.plot_width * timeline.spc
        assert timeline.t_left_s <= centre <= right
        assert timeline.t_left_s < 80.0 - 10  # not jumped to the cursor at 80 s

    drive(app, body)


def test_an_fdt_not_loaded_says_what_it_is_in_the_tree_and_in_exports(tmp_path: Path) -> None:
    """Bug 7: udev-reload at 5.9 s is unloaded: the tree's title and the export say the
    FDT is the last load's, not live."""
    app = make_app(DEFAULT, "udev-reload", at=5.9, export_dir=tmp_path)

    async def body(pilot, screen: MainScreen) -> None:
        assert "NOT LIVE: the last load's FDT" in str(screen.panes[0].cpus_tree.border_title)
        await pilot.press("d")
        await pilot.pause()
        (path,) = screen.last_exports
        assert "last-load" in path.name
        screen.seek(3.0)  # loaded again, before the storm
        await pilot.pause()
        assert "NOT LIVE" not in str(screen.panes[0].cpus_tree.border_title)

    drive(app, body)


def test_dtb_at_an_unloaded_instant_says_so_on_stderr(tmp_path: Path) -> None:
    out = tmp_path / "x.dtb"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "dtb",
            str(DEFAULT),
            "--strategy",
            "udev-reload",
            "--at",
            "5.9",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert "not live: the FDT of the last load (image unloaded)" in done.stderr
    assert out.stat().st_size > 0


def test_compare_mode_at_80x24_keeps_both_timelines_and_the_key_figures() -> None:
    """Tried under tmux: at 80x24 compare mode's 14-row table left no room for the
    timelines. Compact, it keeps its first rows (exposure, at risk) and both timelines
    show their first lanes."""
    app = make_app(DEFAULT, "udev-reload", at=5.9, compare="fdt-hole")

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.pause()
        text = screen_text(app)
        assert text.count("race timeline") == 2
        assert text.count("│hotplug") == 2
        assert "│ exposure" in text and "│ at risk" in text

    drive(app, body, size=(80, 24))


def test_compare_table_shows_the_fdt_peak_difference_as_a_size() -> None:
    """The FDT peak's difference read ``-756`` (bytes, unsaid): it is a size."""
    from tui.widgets.compare_table import numbers_table

    app = make_app(MIXED, "fdt-hole", at=30.0, compare="udev-reload")

    async def body(pilot, screen: MainScreen) -> None:
        a, b = (s.metrics(monte_carlo_runs=0) for s in screen.runs.sessions)
        d = b.fdt_hole.peak_used_bytes - a.fdt_hole.peak_used_bytes
        assert d != 0
        table = screen.compare_table_text()
        row = next(line for line in table.splitlines() if "FDT peak" in line)
        from tui import fmt

        assert row.rstrip().endswith(("+" if d > 0 else "-") + fmt.size(abs(d)))
        assert numbers_table(screen.runs.strategies, [a, b]).row_count > 10

    drive(app, body, size=(160, 50))
