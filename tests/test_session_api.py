"""The stepping API the TUI stands on: step, budgets, lock step, exposure over time."""

from __future__ import annotations

import pytest

from engine.run.lockstep import Lockstep
from engine.run.session import Session
from tests.strategy_scenarios import scenario

STORM = '[[storm]]\nat = "1s"\naction = "cpu-add"\ncores = 4\nevery = "700ms"'


def test_step_hands_out_every_record_once_in_order_even_at_one_instant():
    s = Session(scenario(STORM, smt=4, thread_online="0s", duration="8s"), "udev-reload")
    got = []
    while (record := s.step()) is not None:
        got.append(record)
        assert s.now_s == pytest.approx(record.t_s)
    assert [r.seq for r in got] == list(range(len(s.records)))
    # four threads online at one instant: four uevents, one step each
    assert sum(r.kind == "uevent" and r.t_s == 1.0 for r in got) == 4


def test_advance_within_a_budget_stops_early_and_the_trace_is_unchanged():
    sc = scenario(STORM, smt=8, duration="10s")
    whole = Session(sc, "crash-hotplug")
    whole.run_to_end()
    chunked = Session(sc, "crash-hotplug")
    calls = 0
    while not chunked.finished:
        chunked.advance_to(10.0, budget_s=0.0)  # one event per call
        calls += 1
    assert calls > 50
    assert [r.to_json() for r in chunked.records] == [r.to_json() for r in whole.records]


def test_lockstep_keeps_two_strategies_on_one_clock_and_misses_no_record():
    sc = scenario(STORM, smt=2, duration="6s")
    pair = Lockstep([Session(sc, "udev-reload"), Session(sc, "fdt-hole")])
    seen: list[list[int]] = [[], []]
    last_t = 0.0
    while batch := pair.step():
        t = {r.t_s for _, r in batch}
        assert len(t) == 1 and t.pop() >= last_t
        last_t = batch[0][1].t_s
        assert pair.sessions[0].now_s == pair.sessions[1].now_s == last_t
        for i, record in batch:
            seen[i].append(record.seq)
    for i, session in enumerate(pair.sessions):
        assert seen[i] == list(range(len(session.records)))
        assert session.now_s == 6.0


def test_lockstep_with_a_budget_leaves_both_at_the_same_instant():
    sc = scenario(STORM, smt=8, duration="10s")
    pair = Lockstep([Session(sc, "crash-hotplug"), Session(sc, "udev-reload")])
    pair.advance_to(5.0, budget_s=0.0)
    assert pair.sessions[0].now_s == pair.sessions[1].now_s <= 5.0


def test_exposure_series_ends_at_the_metric_and_never_decreases():
    s = Session(scenario(STORM, smt=2, duration="12s"), "udev-throttled")
    s.advance_to(4.0)
    early = s.exposure_series()
    s.run_to_end()
    series = s.exposure_series()
    assert series[: len(early) - 1] == early[:-1]
    assert all(b[1] >= a[1] and b[0] >= a[0] for a, b in zip(series, series[1:], strict=False))
    assert series[-1] == (12.0, pytest.approx(s.metrics().exposure_s))


def test_room_for_more_cpu_nodes_comes_from_the_hole_and_the_node_size():
    s = Session(scenario(STORM, smt=8, fdt_hole='"64KiB"'), "fdt-hole")
    # 708 bytes of QEMU structure + 28 for the live `name` property (populate_properties)
    assert s.cpu_node_bytes == 736
    assert s.cpu_nodes_that_fit == (64 * 1024 - s.hole.used_bytes) // 736


def test_core_coverage_marks_a_just_added_core_missing_until_the_reload_loads_it():
    storm = '[[storm]]\nat = "2s"\naction = "cpu-add"\ncores = 1'
    s = Session(scenario(storm, smt=4, present=2), "udev-reload")
    s.advance_to(1.0)
    assert {f: c.status for f, c in s.core_coverage().items()} == {0: "online", 4: "online"}
    s.advance_to(2.003)  # thread 8 and 9 online, the udev rule not yet run
    cov = s.core_coverage()
    assert cov[8].status == "missing" and cov[8].name == "PowerPC,POWER9@8"
    assert cov[8].online == frozenset({8, 9}) and not cov[8].in_fdt
    s.advance_to(4.0)  # the reload loaded a fresh FDT
    assert s.core_coverage()[8].status == "online"
    assert s.core_coverage()[8].threads == (8, 9, 10, 11)


def test_core_coverage_keeps_a_removed_core_as_offline_in_the_fdt_hole():
    storm = '[[storm]]\nat = "1s"\naction = "cpu-remove"\ncores = 1'
    s = Session(scenario(storm, smt=2, present=3), "fdt-hole")
    s.run_to_end()
    cov = s.core_coverage()
    # powerpc does nothing on removal: core 2's node stays, all its threads offline
    assert cov[4].status == "offline" and cov[4].in_fdt and cov[4].online == frozenset()
    assert cov is s.core_coverage()  # cached while nothing changes
