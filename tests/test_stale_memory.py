"""The elfcorehdr still lists removed memory: its own outcome cause, `stale-memory`."""

from __future__ import annotations

from engine.run.outcomes import KdumpState, crash_outcome, readiness_of
from tests.strategy_scenarios import INSTANT_UDEV, LOAD_S, UNLOAD_S, scenario, session

REMOVE = '[[storm]]\nat = "1s"\naction = "memory-remove"\nblocks = 1'


def test_a_panic_after_a_memory_remove_and_before_the_reload_is_stale_memory():
    s = session(scenario(REMOVE, udev=INSTANT_UDEV), "udev-reload")
    s.advance_to(1.0 + UNLOAD_S / 2)  # removed at 1 s; the unload syscall not yet run
    outcome = s.crash(cpu=0)
    assert (outcome.result, outcome.cause) == ("incomplete", "stale-memory")
    assert s.readiness().cause == "stale-memory" and s.readiness().p_incomplete == 1.0
    s.advance_to(1.0 + UNLOAD_S + LOAD_S + 0.01)  # the reload rebuilt the header
    assert s.crash(cpu=0).result == "captured"


def test_crash_hotplug_rebuilds_the_header_so_a_remove_never_leaves_it_stale():
    s = session(scenario(REMOVE), "crash-hotplug")
    s.run_to_end()
    assert "stale-memory" not in {seg.cause for seg in s.readiness_history()}


def test_missing_cpu_outranks_stale_memory_and_added_memory_outranks_it_as_cause():
    base = dict(
        image_loaded=True,
        image_null=False,
        kexec_locked=False,
        online_threads=frozenset({0, 1}),
        fdt_threads=frozenset({0}),
        memory_complete=True,
        memory_stale=True,
    )
    assert crash_outcome(KdumpState(**base), 0.0, 1).cause == "cpu-missing-in-fdt"
    assert crash_outcome(KdumpState(**base), 0.0, 0).cause == "stale-memory"
    r = readiness_of(KdumpState(**base), 0.0)
    # one of two CPUs lost; the other's dump is taken but stale: 1/2 no-dump, 1/2 incomplete
    assert (r.p_no_dump, r.p_incomplete, r.cause) == (0.5, 0.5, "cpu-missing-in-fdt")
    grown = KdumpState(**{**base, "memory_complete": False, "fdt_threads": frozenset({0, 1})})
    assert crash_outcome(grown, 0.0, 0).cause is None  # incomplete (new memory missing)
