"""Pilot tests of the TUI on the real engine: keys do what they say, state is the engine's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from engine.run.session import Session
from engine.run.trace import RecordKind
from engine.scenario.load import load_scenario
from engine.strategies import STRATEGY_NAMES
from tui import textual_internals as internals
from tui.app import KdumpStormApp
from tui.factory import make_app
from tui.screens.main import MainScreen
from tui.widgets.header import SimHeader
from tui.widgets.race_timeline import LABEL_W
from tui.widgets.session_pane import SessionPane

HOTPLUG = {
    RecordKind.CORE_ADD,
    RecordKind.CORE_REMOVE,
    RecordKind.BLOCK_ADD,
    RecordKind.BLOCK_REMOVE,
}

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "scenarios" / "default.toml"
# default.toml, udev-reload: a reload's image is gone 5.632..~6.3 s; core 11 (@58) came
# online at 5.75 s, after that load read the machine: at 5.9 s it is missing from the FDT.
IN_WINDOW_S = 5.9
NEW_CORE_FIRST_THREAD = 0x58


def drive(
    app: KdumpStormApp, body: Callable[..., Awaitable[None]], size: tuple[int, int] = (120, 40)
) -> None:
    async def run() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await body(pilot, app.storm)

    asyncio.run(run())


def screen_text(app: KdumpStormApp) -> str:
    return "\n".join(strip.text for strip in internals.screen_strips(app.screen))


def test_unload_window_facts() -> None:
    """What the udev-reload snapshot claims: image unloaded, the new core MISSING."""
    app = make_app(DEFAULT, "udev-reload", at=IN_WINDOW_S)

    async def body(pilot, screen: MainScreen) -> None:
        pane = screen.panes[0]
        assert pane.session.now_s == IN_WINDOW_S
        assert pane.region_bar.region_view.image == "unloaded"
        assert pane.session.image.loaded is False
        entry = pane.cpus_tree.entry(NEW_CORE_FIRST_THREAD)
        assert entry.status == "missing"
        machine, hole = pane.session.machine, pane.session.hole
        assert NEW_CORE_FIRST_THREAD in machine.online_threads
        assert NEW_CORE_FIRST_THREAD not in hole.fdt_threads()
        text = screen_text(app)
        assert "image UNLOADED" in text
        assert "PowerPC,POWER9@58 MISSING" in text

    drive(app, body)


def test_fdt_hole_same_instant_facts() -> None:
    """What the fdt-hole snapshot claims: image loaded, the new core's node in the hole."""
    app = make_app(DEFAULT, "fdt-hole", at=IN_WINDOW_S)

    async def body(pilot, screen: MainScreen) -> None:
        pane = screen.panes[0]
        view = pane.region_bar.region_view
        assert view.image == "loaded"
        assert view.in_hole and view.hole_used_bytes == pane.session.hole.used_bytes > 0
        assert view.hole_nodes_fit and view.hole_nodes_fit > 0
        assert pane.cpus_tree.entry(NEW_CORE_FIRST_THREAD).status == "online"
        assert not any(e.status == "missing" for e in pane.cpus_tree.entries)
        assert "FDT fill" in screen_text(app)

    drive(app, body)


def test_tree_is_decoded_from_the_hole_and_updates_incrementally() -> None:
    app = make_app(DEFAULT, "fdt-hole", at=4.0)

    async def body(pilot, screen: MainScreen) -> None:
        pane = screen.panes[0]
        tree, session = pane.cpus_tree, pane.session
        names = [name for name, _ in session.hole.cpu_nodes()]
        assert sorted(e.name for e in tree.entries if e.props) == sorted(names)
        assert tree.sync(session) is False  # nothing changed: nothing touched
        assert 0x40 not in tree.first_threads
        before = dict(zip(tree.first_threads, tree.entries, strict=True))
        screen.seek(5.1)  # one core added and written into the hole
        assert tree.entry(0x40).status == "online"
        after = dict(zip(tree.first_threads, tree.entries, strict=True))
        assert set(after) - set(before) == {0x40}
        assert all(after[t] == before[t] for t in before)  # the other cores unchanged

    drive(app, body)


def test_expanded_node_shows_decoded_properties() -> None:
    """What the node-expanded snapshot claims."""
    app = make_app(DEFAULT, "fdt-hole", at=IN_WINDOW_S)

    async def body(pilot, screen: MainScreen) -> None:
        tree = screen.panes[0].cpus_tree
        tree.expand_core(NEW_CORE_FIRST_THREAD)
        await pilot.pause()
        leaves = tree.lines_of(NEW_CORE_FIRST_THREAD)[1:]
        assert leaves[0].startswith("threads 88✓")
        assert leaves[1] == "reg = <0x58>"
        assert leaves[2].startswith("ibm,ppc-interrupt-server#s = <0x58 0x59")
        assert 'device_type = "cpu"' in leaves

    drive(app, body)


def test_step_advances_to_the_next_trace_record() -> None:
    app = make_app(DEFAULT, "udev-reload")
    reference = Session(load_scenario(DEFAULT), "udev-reload")
    expected = reference.step()
    expected_next = reference.step()

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.press("n")
        assert screen.last_step == [(0, expected)]
        assert screen.runs.now_s == expected.t_s
        assert screen.query_one(SimHeader).now_s == expected.t_s
        await pilot.press("n")
        assert screen.last_step == [(0, expected_next)]  # the engine's step: the next record

    drive(app, body)


def test_speed_keys_change_the_header() -> None:
    app = make_app(DEFAULT, "udev-reload")

    async def body(pilot, screen: MainScreen) -> None:
        assert "x1 " in screen_text(app)
        await pilot.press("plus", "plus")
        await pilot.pause()
        assert screen.query_one(SimHeader).speed == 5
        assert "x5 " in screen_text(app)
        for _ in range(20):
            await pilot.press("minus")
        await pilot.pause()
        assert screen.playback.speed == 0.1
        assert "x0.1 " in screen_text(app)

    drive(app, body)


def test_playback_advances_speed_times_frame_time() -> None:
    app = make_app(DEFAULT, "udev-reload", speed=10)

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.press("p")
        screen.advance_frames(30)  # one second of frames at 30 fps, x10
        assert screen.runs.now_s == pytest.approx(10.0)
        await pilot.press("p")
        screen.advance_frames(30)
        assert screen.runs.now_s == pytest.approx(10.0)  # paused

    drive(app, body)


def test_strategy_switch_restarts_on_the_same_storm() -> None:
    app = make_app(DEFAULT, "udev-reload", at=IN_WINDOW_S)

    async def body(pilot, screen: MainScreen) -> None:
        before = screen.runs.sessions[0]
        await pilot.press("s")
        after = screen.runs.sessions[0]
        assert after.strategy == STRATEGY_NAMES[STRATEGY_NAMES.index("udev-reload") + 1]
        assert after.now_s == 0.0
        assert after.scenario is before.scenario and after.seed == before.seed
        screen.seek(IN_WINDOW_S)
        hotplug = [(r.t_s, r.kind) for r in before.records if r.kind in HOTPLUG]
        assert [(r.t_s, r.kind) for r in after.records if r.kind in HOTPLUG] == hotplug
        assert after.strategy in screen_text(app)

    drive(app, body)


def test_injected_crash_shows_the_engine_outcome_on_the_timeline() -> None:
    app = make_app(DEFAULT, "udev-reload", at=IN_WINDOW_S)

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.press("c")
        (outcome,) = screen.last_crash
        session = screen.runs.sessions[0]
        last = session.records[-1]
        assert last.kind == "crash-probe" and last.detail["result"] == outcome.result
        assert outcome.result == "no-dump" and outcome.cause == "unloaded"
        timeline = screen.panes[0].timeline
        row = 1 + [n for n, _ in __import__("tui.timeline_lanes").timeline_lanes.LANES].index(
            "crash"
        )
        line = timeline.render_line(row).text
        assert line[LABEL_W + timeline.cursor_col] == "✗"

    drive(app, body)


def test_crash_on_a_chosen_cpu() -> None:
    app = make_app(DEFAULT, "fdt-hole", at=IN_WINDOW_S)

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.press("k")
        await pilot.pause()
        for _ in range(10):
            await pilot.press("backspace")
        await pilot.press("9", "0", "enter")
        await pilot.pause()
        (outcome,) = screen.last_crash
        assert outcome.cpu == 90 and outcome.result == "captured"

    drive(app, body)


def test_compare_mode_runs_in_lock_step() -> None:
    app = make_app(DEFAULT, "udev-reload", at=IN_WINDOW_S)

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.press("v")
        await pilot.pause()
        panes = list(screen.query(SessionPane))
        assert [p.session.strategy for p in panes] == ["udev-reload", "fdt-hole"]
        assert panes[1].session.now_s == IN_WINDOW_S
        await pilot.press("n")
        assert panes[0].session.now_s == panes[1].session.now_s
        assert "udev-reload vs fdt-hole" in screen_text(app)
        await pilot.press("v")
        await pilot.pause()
        assert len(screen.query(SessionPane)) == 1

    drive(app, body, size=(160, 50))


def test_compare_mode_steps_skip_no_record_of_either_strategy() -> None:
    """``n`` in compare mode is the engine's lock step: every record of both sessions."""
    app = make_app(DEFAULT, "udev-reload", at=5.5, compare="fdt-hole")

    async def body(pilot, screen: MainScreen) -> None:
        first = [len(s.records) for s in screen.runs.sessions]
        seen: list[tuple[int, int]] = []
        for _ in range(30):
            await pilot.press("n")
            assert screen.last_step, "the run ended early"
            seen.extend((i, r.seq) for i, r in screen.last_step)
            times = {r.t_s for _, r in screen.last_step}
            assert times == {screen.runs.now_s}  # one instant, both sessions on it
            assert screen.runs.sessions[1].now_s == screen.runs.now_s
        for i, session in enumerate(screen.runs.sessions):
            made = [r.seq for r in session.records[first[i] :]]
            assert [seq for j, seq in seen if j == i] == made
        assert {i for i, _ in seen} == {0, 1}

    drive(app, body, size=(160, 50))


def test_live_playback_shows_the_engine_rate_only_while_it_lags() -> None:
    """A budget too small for x1000: time shown is the engine's, the header says so."""
    app = make_app(DEFAULT, "udev-reload", speed=1000)
    wall = iter(i / 30 for i in range(10_000))

    async def body(pilot, screen: MainScreen) -> None:
        playback = screen.playback
        playback.clock = lambda: next(wall)
        playback.fps = 1_000_000  # a budget of 0.4 us: the engine stops after one event
        await pilot.press("p")
        screen.advance_frames(3)
        header = screen.query_one(SimHeader)
        assert screen.runs.now_s < 3 * 1000 / 30  # behind what x1000 asked for
        assert header.now_s == screen.runs.now_s  # the clock shown is the engine's
        assert playback.engine_rate is not None
        await pilot.pause()
        assert "x1000 (engine x" in screen_text(app)
        playback.fps = 30
        playback.speed = 0.1  # the engine keeps up easily: the rate goes away
        screen.advance_frames(20)
        assert playback.engine_rate is None

    drive(app, body)


def test_exposure_chart_is_the_engine_series() -> None:
    app = make_app(DEFAULT, "udev-reload", at=IN_WINDOW_S)

    async def body(pilot, screen: MainScreen) -> None:
        pane = screen.panes[0]
        series = pane.session.exposure_series()
        assert pane.stats.series == series
        assert pane.stats.metrics.exposure_s == pytest.approx(series[-1][1])

    drive(app, body)


def test_lane_labels_read_in_full_at_80_columns() -> None:
    app = make_app(DEFAULT, "fdt-hole", at=IN_WINDOW_S)

    async def body(pilot, screen: MainScreen) -> None:
        text = screen_text(app)
        assert "udev/throttler│" in text
        assert "kernel update │" in text

    drive(app, body, size=(80, 24))


def test_restart_shows_the_fresh_run_in_the_tree() -> None:
    app = make_app(DEFAULT, "fdt-hole", at=30.0)

    async def body(pilot, screen: MainScreen) -> None:
        tree = screen.panes[0].cpus_tree
        assert len(tree.entries) > 8
        await pilot.press("r")
        names = sorted(name for name, _ in screen.runs.sessions[0].hole.cpu_nodes())
        assert sorted(e.name for e in tree.entries) == names
        assert len(names) == 8

    drive(app, body)


def test_click_on_the_timeline_seeks() -> None:
    app = make_app(DEFAULT, "udev-reload", at=IN_WINDOW_S)

    async def body(pilot, screen: MainScreen) -> None:
        timeline = screen.panes[0].timeline
        target = timeline.time_at(LABEL_W + 30)
        await pilot.click(timeline, offset=(1 + LABEL_W + 30, 2))  # +1: the panel border
        await pilot.pause()
        assert screen.runs.now_s == pytest.approx(target)

    drive(app, body)


def test_exports_never_overwrite(tmp_path: Path) -> None:
    app = make_app(DEFAULT, "fdt-hole", at=IN_WINDOW_S, export_dir=tmp_path)
    taken = tmp_path / f"kdump-storm-fdt-hole-t{IN_WINDOW_S:.3f}s-fdt.dtb"
    taken.write_bytes(b"user data")

    async def body(pilot, screen: MainScreen) -> None:
        await pilot.press("d")
        (first,) = screen.last_exports
        await pilot.press("d")
        (second,) = screen.last_exports
        await pilot.press("e")
        (trace,) = screen.last_exports
        assert len({taken, first, second}) == 3
        assert first.read_bytes() == screen.runs.sessions[0].hole.packed()
        assert first.read_bytes()[:4] == b"\xd0\x0d\xfe\xed"
        lines = trace.read_text().splitlines()
        # issue 12: the CLI's --trace format, so a metadata line comes before the records
        assert len(lines) == 1 + len(screen.runs.sessions[0].records)
        meta = json.loads(lines[0])["meta"]
        assert (meta["strategies"], meta["seed"]) == (["fdt-hole"], 42)
        assert meta["scenario"] == screen.runs.sessions[0].scenario.name

    drive(app, body)
    assert taken.read_bytes() == b"user data"


def test_live_playback_measures_each_frames_drawing_and_budgets_the_engine_with_it() -> None:
    """After a live frame is drawn, playback knows what the frame took beyond the engine's
    budget (to the end of the render), and the next budget is what is left."""
    from tui.playback import FRAME_GOAL, MIN_BUDGET_SHARE, START_DRAW_SHARE

    app = make_app(DEFAULT, "udev-reload", speed=10)
    now = [0.0]

    async def body(pilot, screen: MainScreen) -> None:
        playback = screen.playback
        playback.clock = lambda: now[0]
        await pilot.press("p")
        assert playback._draw_s is None
        screen.advance_frames(1)  # began at 0 s with a budget of 85% - 45% of 1/30 s
        now[0] = 0.030  # the render ends 30 ms after the frame began
        await pilot.pause()
        budget = (FRAME_GOAL - START_DRAW_SHARE) / 30  # 13.3 ms
        assert playback._draw_s == pytest.approx(0.030 - budget)  # 16.7 ms past it
        # next: 85% of 33.3 ms - 16.7 ms = 11.7 ms, above the 5 ms floor
        assert playback.budget_s == pytest.approx(
            max(MIN_BUDGET_SHARE / 30, FRAME_GOAL / 30 - (0.030 - budget))
        )

    drive(app, body)


def test_a_live_frame_is_measured_to_the_end_of_its_render_not_before_it() -> None:
    """The render of a frame is part of its drawing: 10 ms spent drawing the header (on
    the fake clock) show in what playback measured. A callback posted with
    ``call_after_refresh`` ran before the render (the screen went idle before the
    widgets posted their updates) and measured 16.7 ms instead of 26.7."""
    from tui.playback import FRAME_GOAL, START_DRAW_SHARE

    app = make_app(DEFAULT, "udev-reload", speed=10)
    now = [0.0]

    async def body(pilot, screen: MainScreen) -> None:
        playback = screen.playback
        playback.clock = lambda: now[0]
        await pilot.press("p")
        header = screen.header
        draw_header = header.render_line

        def slow_render_line(y: int):
            now[0] += 0.010  # drawing the header's new time takes 10 ms
            return draw_header(y)

        header.render_line = slow_render_line  # type: ignore[method-assign]
        screen.advance_frames(1)  # began at 0 s with a budget of 85% - 45% of 1/30 s
        now[0] = 0.030  # the widgets' sync ends 30 ms after the frame began
        await pilot.pause()
        budget = (FRAME_GOAL - START_DRAW_SHARE) / 30  # 13.3 ms
        assert playback._draw_s == pytest.approx(0.040 - budget)  # 26.7 ms past it

    drive(app, body)


def test_the_app_collects_young_objects_less_often_while_it_runs_and_restores_it_after() -> None:
    import gc

    from tui.app import GC_YOUNG_THRESHOLD

    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []

    async def body(pilot, screen: MainScreen) -> None:
        seen.append(gc.get_threshold())

    drive(make_app(DEFAULT, "udev-reload"), body)
    assert seen == [(GC_YOUNG_THRESHOLD, *before[1:])]
    assert gc.get_threshold() == before
