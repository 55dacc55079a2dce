"""``run --perfetto`` and the TUI's export: Trace Event JSON that Perfetto opens.

Checked as JSON (the format is JSON; we add no dependency): one track per lane
on each strategy's process, each span as one slice whose start and duration are
its two records', probe instants with their outcome, and the counters.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.run.perfetto import (
    EXPOSURE_COUNTER,
    HOLE_COUNTER,
    SETTLE_TRACK,
    TRACK_OF,
    TRACKS,
)
from engine.run.session import Session
from engine.run.trace import SPAN_ENDS, RecordKind
from engine.scenario.load import load_scenario
from tui.factory import make_app

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "scenarios" / "default.toml"
STRATEGIES = ("udev-throttled", "fdt-hole", "crash-hotplug")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict[str, Session]]:
    target = tmp_path_factory.mktemp("perfetto") / "run.json"
    args = [a for s in STRATEGIES for a in ("--strategy", s)]
    out = subprocess.run(
        [sys.executable, "-m", "cli.main", "run", str(DEFAULT), *args, "--perfetto", str(target)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    scenario = load_scenario(DEFAULT)
    sessions = {}
    for name in STRATEGIES:  # the same runs, in process, to hold the export against
        sessions[name] = Session(scenario, name)
        sessions[name].run_to_end()
    return json.loads(target.read_text()), sessions


def _pid_of(doc: dict, strategy: str) -> int:
    (pid,) = [
        e["pid"]
        for e in doc["traceEvents"]
        if e["ph"] == "M" and e["name"] == "process_name" and e["args"]["name"] == strategy
    ]
    return pid


def test_every_record_kind_has_a_track() -> None:
    assert set(TRACK_OF) == set(RecordKind)
    # every track has something to show: records, the settle slices, the readiness history
    assert set(TRACK_OF.values()) | {SETTLE_TRACK, "readiness"} == set(TRACKS)


def test_one_process_per_strategy_and_one_track_per_lane(exported) -> None:
    doc, _ = exported
    assert doc["metadata"]["strategies"] == list(STRATEGIES)
    assert doc["metadata"]["tool"] == "kdump-storm" and doc["metadata"]["seed"] == 42
    for strategy in STRATEGIES:
        pid = _pid_of(doc, strategy)
        names = {
            e["tid"]: e["args"]["name"]
            for e in doc["traceEvents"]
            if e["ph"] == "M" and e["name"] == "thread_name" and e["pid"] == pid
        }
        assert sorted(names.values()) == sorted(TRACKS)  # one track each, none twice
        used = {e["tid"] for e in doc["traceEvents"] if e["pid"] == pid and "tid" in e}
        assert used <= set(names)


def test_every_span_is_one_slice_with_its_records_start_and_duration(exported) -> None:
    doc, sessions = exported
    for strategy, session in sessions.items():
        pid = _pid_of(doc, strategy)
        slices = {
            e["args"]["span"]: e
            for e in doc["traceEvents"]
            if e["ph"] == "X" and e["pid"] == pid and e["cat"] != "readiness"
            and e["name"] != "udevadm settle"
        }  # fmt: skip
        starts = {r.seq: r for r in session.records if r.kind in SPAN_ENDS}
        ends = [r for r in session.records if r.span is not None and r.span != r.seq]
        assert len(slices) == len(ends)
        for end in ends:
            start, got = starts[end.span], slices[end.span]
            assert got["ts"] == pytest.approx(start.t_s * 1e6, abs=1e-3)
            assert got["dur"] == pytest.approx((end.t_s - start.t_s) * 1e6, abs=1e-3)
        loads = [s for s in slices.values() if s["name"] == "load"]
        # every reload the metrics count is a load slice on the kdumpctl track
        assert len(loads) == session.metrics().reloads
        tracks = {e["args"]["name"]: e["tid"] for e in doc["traceEvents"]
                  if e["ph"] == "M" and e["name"] == "thread_name" and e["pid"] == pid}  # fmt: skip
        assert {s["tid"] for s in loads} <= {tracks["kdumpctl"]}


def test_the_udev_reloads_of_the_throttled_run_are_there(exported) -> None:
    doc, sessions = exported
    pid = _pid_of(doc, "udev-throttled")
    loads = [e for e in doc["traceEvents"] if e["pid"] == pid and e.get("name") == "load"]
    unloads = [e for e in doc["traceEvents"] if e["pid"] == pid and e.get("name") == "unload"]
    assert len(loads) == len(unloads) == sessions["udev-throttled"].metrics().reloads > 0
    # a reload: its unload ends where its load starts (kdumpctl runs them back to back)
    assert [u["ts"] + u["dur"] for u in unloads] == pytest.approx([x["ts"] for x in loads])


def test_probes_are_instants_with_their_outcome(exported) -> None:
    doc, sessions = exported
    for strategy, session in sessions.items():
        pid = _pid_of(doc, strategy)
        probes = [
            e for e in doc["traceEvents"]
            if e["pid"] == pid and e["ph"] == "i" and e["cat"] == "crash-probe"
        ]  # fmt: skip
        expected = session.sim.probes
        assert len(probes) == len(expected) == 5
        for got, outcome in zip(probes, expected, strict=True):
            assert got["ts"] == pytest.approx(outcome.t_s * 1e6, abs=1e-3)
            assert got["args"]["result"] == outcome.result.value
            assert got["name"].startswith(f"panic on cpu {outcome.cpu}: {outcome.result.value}")
    # the udev-throttled probe at 7.27 s finds the newest CPU missing from the FDT
    pid = _pid_of(doc, "udev-throttled")
    (late,) = [e for e in doc["traceEvents"] if e["pid"] == pid and e.get("cat") == "crash-probe"
               and e["ts"] == pytest.approx(7.27e6)]  # fmt: skip
    assert late["args"]["result"] != "captured"


def test_counters_follow_exposure_and_the_hole_fill(exported) -> None:
    doc, sessions = exported
    for strategy, session in sessions.items():
        pid = _pid_of(doc, strategy)
        exposure = [e for e in doc["traceEvents"] if e["pid"] == pid and e["ph"] == "C"
                    and e["name"] == EXPOSURE_COUNTER]  # fmt: skip
        values = [e["args"]["exposure_s"] for e in exposure]
        assert values == sorted(values)  # cumulative
        assert values[-1] == pytest.approx(session.metrics().exposure_s, abs=1e-8)
        fill = [e["args"]["used_bytes"] for e in doc["traceEvents"] if e["pid"] == pid
                and e["ph"] == "C" and e["name"] == HOLE_COUNTER]  # fmt: skip
        assert fill and max(fill) == session.metrics().fdt_hole.peak_used_bytes
    # the hole grows as cores are added in place: more than one fill level
    pid = _pid_of(doc, "fdt-hole")
    levels = {e["args"]["used_bytes"] for e in doc["traceEvents"]
              if e["pid"] == pid and e.get("name") == HOLE_COUNTER}  # fmt: skip
    assert len(levels) > 10


def test_each_settle_sits_on_the_udev_settle_track_inside_its_throttler_slice(exported) -> None:
    doc, sessions = exported
    pid = _pid_of(doc, "udev-throttled")
    tracks = {e["args"]["name"]: e["tid"] for e in doc["traceEvents"]
              if e["ph"] == "M" and e["name"] == "thread_name" and e["pid"] == pid}  # fmt: skip
    settles = [
        e for e in doc["traceEvents"] if e["pid"] == pid and e.get("name") == "udevadm settle"
    ]
    throttlers = {e["args"]["span"]: e for e in doc["traceEvents"] if e["pid"] == pid
                  and e.get("cat") == "throttler-start" and e["ph"] == "X"}  # fmt: skip
    assert settles and len(settles) == len(throttlers)
    for settle in settles:
        assert settle["tid"] == tracks[SETTLE_TRACK]
        outer = throttlers[settle["args"]["span"]]
        # settle ends the throttler's span, after its sleep (1 s)
        assert settle["ts"] + settle["dur"] == pytest.approx(outer["ts"] + outer["dur"])
        assert settle["ts"] >= outer["ts"] + 1e6 - 1e-3


def test_no_dump_windows_are_slices_naming_their_cause(exported) -> None:
    doc, sessions = exported
    session = sessions["udev-throttled"]
    pid = _pid_of(doc, "udev-throttled")
    windows = [e for e in doc["traceEvents"] if e["pid"] == pid and e.get("cat") == "readiness"
               and e["name"].startswith("no dump")]  # fmt: skip
    by_cause: dict[str, float] = {}
    for w in windows:
        cause = w["name"].removeprefix("no dump: ")
        by_cause[cause] = by_cause.get(cause, 0.0) + w["dur"] / 1e6
    expected = session.metrics().windows.by_cause
    assert by_cause.keys() == {str(c) for c in expected}
    for cause, seconds in expected.items():
        assert by_cause[str(cause)] == pytest.approx(seconds, abs=1e-6)


def test_the_tui_exports_the_same_trace(tmp_path: Path) -> None:
    app = make_app(DEFAULT, "fdt-hole", at=8.0, export_dir=tmp_path)

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("E")
            (path,) = app.storm.last_exports
            doc = json.loads(path.read_text())
            session = app.storm.runs.sessions[0]
            assert doc["metadata"]["strategies"] == ["fdt-hole"]
            updates = [e for e in doc["traceEvents"] if e.get("cat") == "update-start"]
            done = [r for r in session.records if r.kind is RecordKind.UPDATE_END]
            assert len(updates) == len(done) > 0  # the run so far, paused at 8 s

    asyncio.run(run())
