"""Trace records are typed, and a span's start and end share one id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.run.outcomes import Cause, Result
from engine.run.trace import SPAN_ENDS, SPAN_STARTS, RecordKind, Trace
from engine.strategies import STRATEGY_NAMES as STRATEGIES
from tests.strategy_scenarios import scenario, session

STORM = (
    '[[storm]]\nat = "1s"\naction = "cpu-add"\ncores = 6\nevery = "400ms"\n'
    '[[storm]]\nat = "2s"\naction = "memory-add"\nblocks = 3\nevery = "300ms"\n'
)
PROBES = '[ { at = "1.2s", cpu = "newest" }, { at = "3s", cpu = "random" } ]'


def test_an_end_carries_the_id_its_begin_returned():
    trace = Trace()
    trace.add(0.0, RecordKind.UEVENT, id=1)
    span = trace.begin(1.0, RecordKind.UNLOAD_START, why="x")
    end = trace.end(2.0, RecordKind.UNLOAD_END, span)
    assert span == 1  # the id is the start record's seq
    assert trace.records[1].span == trace.record(end).span == span
    assert trace.records[0].span is None
    assert trace.open_spans() == {}


def test_a_span_ends_only_once_and_only_with_its_own_kind():
    trace = Trace()
    span = trace.begin(0.0, RecordKind.UPDATE_START, what="cpus")
    with pytest.raises(ValueError, match="does not end"):
        trace.end(1.0, RecordKind.LOAD_END, span)
    trace.end(1.0, RecordKind.UPDATE_NOSPACE, span)
    with pytest.raises(ValueError, match="not open"):
        trace.end(2.0, RecordKind.UPDATE_END, span)


def test_span_kinds_cannot_be_written_as_point_events():
    trace = Trace()
    for kind in [*SPAN_ENDS, *SPAN_STARTS]:
        with pytest.raises(ValueError, match="one end of a span"):
            trace.add(0.0, kind)
    with pytest.raises(ValueError, match="does not start"):
        trace.begin(0.0, RecordKind.UEVENT)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_span_in_a_run_ends_at_most_once_with_its_start_id(strategy):
    s = session(scenario(STORM, smt=2, duration="20s", probes=PROBES), strategy)
    s.run_to_end()
    starts: dict[int, RecordKind] = {}
    ended: set[int] = set()
    for r in s.records:
        if r.kind in SPAN_ENDS:
            assert r.span == r.seq
            starts[r.seq] = r.kind
        elif r.kind in SPAN_STARTS:
            assert r.span in starts and r.span not in ended
            assert r.kind in SPAN_ENDS[starts[r.span]]
            assert r.t_s >= s.records[r.span].t_s
            ended.add(r.span)
        else:
            assert r.span is None
    # 20 s is long enough for every reload and update of this storm to finish
    assert ended == set(starts) and starts
    assert s.sim.trace.open_spans() == {}


def test_the_json_line_carries_the_kind_as_its_string():
    trace = Trace()
    trace.add(0.5, RecordKind.CRASH_PROBE, result=Result.NO_DUMP, cause=Cause.UNLOADED)
    line = json.loads(trace.records[0].to_json())
    assert line["kind"] == "crash-probe"
    assert line["detail"] == {"result": "no-dump", "cause": "unloaded"}


def test_probe_outcomes_carry_enums_and_write_strings():
    s = session(scenario(STORM, smt=2, duration="5s", probes=PROBES), "udev-reload")
    s.run_to_end()
    outcomes = s.metrics().probes
    assert all(isinstance(o.result, Result) for o in outcomes)
    assert all(o.cause is None or isinstance(o.cause, Cause) for o in outcomes)
    assert [o.as_dict()["result"] for o in outcomes] == [o.result.value for o in outcomes]


def test_strategies_change_the_image_only_through_the_simulation():
    # the simulation's methods change state, trace it and refresh readiness together
    root = Path(__file__).resolve().parent.parent / "engine"
    for folder in ("strategies", "userspace"):
        for path in (root / folder).glob("*.py"):
            text = path.read_text()
            assert "sim.refresh()" not in text, path
            assert ".image.loaded =" not in text and "busy_segments" not in text, path
