"""The race timeline, read line by line through ``render_line()`` (no screenshot)."""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App, ComposeResult

from engine.run.outcomes import Readiness
from engine.run.trace import Record, RecordKind
from tui.messages import SeekRequested
from tui.timeline_lanes import LANES, Lanes
from tui.widgets.race_timeline import LABEL_W, RaceTimeline

ROW = {name: i + 1 for i, (name, _) in enumerate(LANES)}  # row 0 is the time axis


def rec(seq: int, t_s: float, kind: str, span: int | None = None, **detail: object) -> Record:
    return Record(seq, t_s, RecordKind(kind), detail, span)


# A core added at 2 s, its uevent, a reload whose image is gone from 2.5 s to 4 s,
# and a crash probe at 3 s that got no dump.
RECORDS = [
    rec(0, 2.0, "core-add", core=8),
    rec(1, 2.0, "uevent", ident=64),
    rec(2, 2.2, "reload-queued"),
    rec(3, 2.5, "unload-start", span=3),
    rec(4, 2.6, "unload-end", span=3),
    rec(5, 2.6, "load-start", span=5),
    rec(6, 3.0, "crash-probe", cpu=64, result="no-dump", cause="unloaded"),
    rec(7, 3.5, "lock-taken", span=7, holder="kexec-load"),
    rec(8, 4.0, "lock-released", span=7, holder="kexec-load"),
    rec(9, 4.0, "load-end", span=5, ok=True),
]
HISTORY = [
    Readiness(0.0, 2.0, 0.0, 0.0, None, frozenset(), 64),
    Readiness(2.0, 2.5, 8 / 72, 0.0, "cpu-missing-in-fdt", frozenset(range(64, 72)), 72),
    Readiness(2.5, 4.0, 1.0, 0.0, "unloaded", frozenset(range(72)), 72),
    Readiness(4.0, 5.0, 0.0, 0.0, None, frozenset(), 72),
]


def exposure_between(edges: list[float]) -> list[float]:
    """The integral of p_no_dump over each interval of HISTORY (what the engine gives)."""

    def cumulative(t: float) -> float:
        return sum(r.p_no_dump * max(0.0, min(t, r.t1_s) - r.t0_s) for r in HISTORY)

    return [cumulative(b) - cumulative(a) for a, b in zip(edges, edges[1:], strict=False)]


class TimelineApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.seeks: list[float] = []

    def compose(self) -> ComposeResult:
        yield RaceTimeline()

    def on_seek_requested(self, message: SeekRequested) -> None:
        self.seeks.append(message.t_s)


def plot(timeline: RaceTimeline, row: int) -> str:
    return timeline.render_line(row).text[LABEL_W:]


def with_timeline(check) -> None:
    """Run ``check(timeline)`` on a fed timeline, 20 plot columns wide, inside a live app."""

    async def body() -> None:
        app = TimelineApp()
        async with app.run_test(size=(LABEL_W + 22, 12)) as pilot:
            tl = app.query_one(RaceTimeline)
            tl.feed(RECORDS, HISTORY, now_s=5.0, duration_s=10.0, exposure_between=exposure_between)
            await pilot.pause()
            check(tl)

    asyncio.run(body())


def test_fits_the_run_at_half_a_second_per_column() -> None:
    with_timeline(_fits_the_run_at_half_a_second_per_column)


def _fits_the_run_at_half_a_second_per_column(timeline: RaceTimeline) -> None:
    assert timeline.spc == 0.5  # 10 s on 20 columns
    assert timeline.render_line(0).text.startswith("t")
    assert plot(timeline, 0).startswith("┆0s")
    assert "┆10s" not in plot(timeline, 0)  # the axis stops at the run's end


def test_each_lane_on_its_row_at_its_time() -> None:
    with_timeline(_each_lane_on_its_row_at_its_time)


def _each_lane_on_its_row_at_its_time(timeline: RaceTimeline) -> None:
    for row, label in enumerate(
        ["t", "hotplug", "uevents", "udev/throttler", "kdumpctl", "kernel update"]
    ):
        assert timeline.render_line(row).text[: LABEL_W - 1].strip() == label
    assert plot(timeline, ROW["hotplug"])[4] == "+"  # 2.0 s / 0.5 s per column
    assert plot(timeline, ROW["uevent"])[4] == "•"
    reload = plot(timeline, ROW["reload"])
    assert reload[4] == "◦"  # queued at 2.2 s
    assert reload[5:7] == "━━"  # image gone from 2.5 s ...
    assert reload[7:8] == "▓"  # ... the copy under the kexec lock from 3.5 s to 4 s
    assert reload[8] == " "  # loaded again at 4 s
    crash = plot(timeline, ROW["crash"])
    assert crash[6] == "✗"  # probe at 3 s: no dump
    readiness = plot(timeline, ROW["readiness"])
    assert readiness[:4] == "────"  # captured until 2 s
    assert readiness[4] == "▁"  # 8 of 72 CPUs missing from the FDT: 1/9 of the column
    assert readiness[5:8] == "███"  # no image at all
    assert readiness[8:10] == "──"


def test_cursor_is_drawn_at_now_on_every_row() -> None:
    with_timeline(_cursor_is_drawn_at_now_on_every_row)


def _cursor_is_drawn_at_now_on_every_row(timeline: RaceTimeline) -> None:
    assert plot(timeline, 0)[10] == "▼"  # 5.0 s
    assert plot(timeline, ROW["hotplug"])[10] == "│"
    assert plot(timeline, ROW["hotplug"])[11:].strip() == ""  # nothing after now


def test_short_window_stays_visible_zoomed_out() -> None:
    with_timeline(_short_window_stays_visible_zoomed_out)


def _short_window_stays_visible_zoomed_out(timeline: RaceTimeline) -> None:
    timeline.zoom_by(+2)  # 0.5 -> 2 s per column
    assert timeline.spc == 2.0
    readiness = plot(timeline, ROW["readiness"])
    # 2-4 s column: 0.5 s x 8/72 + 1.5 s x 1 = 1.556 s of 2 s with no dump: 7/8 high
    assert readiness[1] == "▇"
    assert readiness[0] == "─"  # 0-2 s: every CPU covered


def test_zoom_in_and_scroll() -> None:
    with_timeline(_zoom_in_and_scroll)


def _zoom_in_and_scroll(timeline: RaceTimeline) -> None:
    timeline.zoom_by(-1)  # 0.2 s per column
    assert timeline.spc == 0.2
    col = timeline.cursor_col
    assert 0 <= col < timeline.plot_width
    assert plot(timeline, 0)[col] == "▼"
    timeline.scroll_to_col(0)
    assert plot(timeline, ROW["hotplug"])[10] == "+"  # 2.0 s / 0.2


def test_unchanged_lanes_come_from_the_cache() -> None:
    with_timeline(_unchanged_lanes_come_from_the_cache)


def _unchanged_lanes_come_from_the_cache(timeline: RaceTimeline) -> None:
    rows = range(len(LANES) + 1)
    before = [timeline.lane_strip(row) for row in rows]
    assert all(timeline.lane_strip(row) is before[row] for row in rows)
    # one more record on the crash lane rebuilds that lane only
    more = [*RECORDS, rec(10, 4.5, "crash-probe", cpu=0, result="captured")]
    timeline.feed(more, HISTORY, now_s=5.0, duration_s=10.0)
    after = [timeline.lane_strip(row) for row in rows]
    assert [row for row in rows if after[row] is not before[row]] == [ROW["crash"]]
    assert plot(timeline, ROW["crash"])[9] == "✓"


def test_click_seeks() -> None:
    app = TimelineApp()

    async def body() -> None:
        async with app.run_test(size=(LABEL_W + 22, 12)) as pilot:
            tl = app.query_one(RaceTimeline)
            tl.feed(RECORDS, HISTORY, now_s=5.0, duration_s=10.0)
            await pilot.pause()
            await pilot.click(RaceTimeline, offset=(LABEL_W + 6, 3))
            await pilot.pause()

    asyncio.run(body())
    assert app.seeks == [pytest.approx(3.25)]


def test_lanes_ingest_only_the_new_tail() -> None:
    lanes = Lanes()
    lanes.ingest(RECORDS[:4])
    assert lanes.lanes["reload"].open_spans  # unload started, not loaded yet
    lanes.ingest(RECORDS)
    assert lanes.records_seen == len(RECORDS)
    assert not lanes.lanes["reload"].open_spans
    # each end closes the span its start opened (span ids, not arrival order):
    # unload 2.5-2.6 s, load 2.6-4 s, the kexec lock 3.5-4 s
    spans = [(s.t0_s, s.t1_s) for s in lanes.lanes["reload"].spans]
    assert spans == [(2.5, 2.6), (2.6, 4.0), (3.5, 4.0)]


def test_an_end_closes_its_own_span_when_two_overlap() -> None:
    # two throttlers started 0.1 s apart, the second settling first: FIFO would pair wrongly
    lanes = Lanes()
    lanes.ingest(
        [
            rec(0, 1.0, "throttler-start", span=0),
            rec(1, 1.1, "throttler-start", span=1),
            rec(2, 2.0, "throttler-settle", span=1),
            rec(3, 3.0, "throttler-settle", span=0),
        ]
    )
    spans = [(s.t0_s, s.t1_s) for s in lanes.lanes["udev"].spans]
    assert spans == [(1.0, 3.0), (1.1, 2.0)]


def test_incremental_cells_equal_a_fresh_layout() -> None:
    """Fed a record at a time, with now moving, a lane's cells equal a full repaint."""
    import random

    rng = random.Random(4)
    kinds = ["core-add", "uevent", "load-start", "load-end", "lock-taken", "lock-released"]
    closes = {"load-end": "load-start", "lock-released": "lock-taken"}
    open_ids: dict[str, list[int]] = {"load-start": [], "lock-taken": []}
    records, t = [], 0.0
    for _ in range(300):
        t += rng.choice([0.0, 0.01, 0.05, 0.3, 1.1])
        kind = rng.choice(kinds)
        span: int | None = None
        if kind in open_ids:
            span = len(records)  # the id is the start record's seq
            open_ids[kind].append(span)
        elif kind in closes:
            if not open_ids[closes[kind]]:
                continue
            span = open_ids[closes[kind]].pop(rng.randrange(len(open_ids[closes[kind]])))
        records.append(rec(len(records), t, kind, span))
    history = [Readiness(0.0, None, 0.0, 0.0, None, frozenset(), 0)]
    lanes = Lanes()
    for i, record in enumerate(records):
        lanes.ingest(records[: i + 1])
        now = record.t_s + 0.02
        if i % 25 == 0:  # the readiness lane: one more segment, the current one open
            last = history[-1]
            history[-1] = Readiness(last.t0_s, now, 0.0, 0.0, None, frozenset(), 0)
            history.append(Readiness(now, None, 1.0 if i % 50 else 0.0, 0.0, None, frozenset(), 0))
            start = lanes.readiness_resume
            lanes.ingest_readiness(history[start:], start)
        for name, lane in lanes.lanes.items():
            for spc, width in ((0.1, 40), (1.0, 30)):
                t_left = max(round(now / spc) - width + 5, 0) * spc
                got = lane.cells(t_left, spc, width, now)
                lane._view = None  # forget the layout: a full repaint
                assert got == lane.cells(t_left, spc, width, now), (name, i, spc)


def test_full_lane_labels_fit() -> None:
    """The gutter holds "udev/throttler" and "kernel update" in full."""
    for name, label in LANES:
        assert len(label) < LABEL_W, name


def test_readiness_shading_drawn_frame_by_frame_equals_the_shading_drawn_at_once() -> None:
    """The shading asks the engine only for the columns that changed since the last draw;
    at every tenth frame of the default scenario at x10 (1/3 s a frame) every row equals
    a timeline fed the same session once, from scratch."""
    from pathlib import Path

    from engine.run.session import Session
    from engine.scenario.load import load_scenario

    scenario = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "default.toml")
    session = Session(scenario, "udev-reload")

    def feed(tl: RaceTimeline) -> None:
        start = tl.readiness_resume
        tl.feed(
            session.records,
            session.readiness_since(start),
            session.now_s,
            session.duration_s,
            start,
            exposure_between=session.exposure_between,
        )

    class Two(App[None]):
        def compose(self) -> ComposeResult:
            yield RaceTimeline(id="frames")
            yield RaceTimeline(id="once")

    async def body() -> None:
        app = Two()
        async with app.run_test(size=(LABEL_W + 40, 24)) as pilot:
            frames = app.query_one("#frames", RaceTimeline)
            once = app.query_one("#once", RaceTimeline)
            await pilot.pause()
            compared = 0
            for frame in range(1, 91):
                session.advance_to(frame / 3)
                feed(frames)
                for row in range(len(LANES) + 1):
                    frames.render_line(row)  # drawn every frame, as on screen
                if frame % 10 == 0:
                    once.reset()
                    feed(once)
                    for row in range(len(LANES) + 1):
                        assert frames.render_line(row).text == once.render_line(row).text, (
                            frame,
                            row,
                        )
                    compared += 1
            assert compared == 9
            assert "▁" in plot(frames, ROW["readiness"]) or "█" in plot(frames, ROW["readiness"])

    asyncio.run(body())
