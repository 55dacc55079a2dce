"""kdumpctl's lock, SUSE load-once, the try-restart rule form and a failed unload."""

from __future__ import annotations

import dataclasses

import pytest

from engine.run.trace import RecordKind
from tests.strategy_scenarios import INSTANT_UDEV, RELOAD_S, scenario, session


def kinds(s, kind: RecordKind):
    return [r for r in s.records if r.kind == kind.value]


def blocks_at(*times_s: float) -> str:
    return "\n".join(f'[[storm]]\nat = "{t}s"\naction = "memory-add"\nblocks = 1' for t in times_s)


def test_a_queued_kdumpctl_reload_starts_the_moment_the_running_one_exits():
    # two blocks at 1 s: two transient kdumpctl units; the second waits on the flock
    s = session(scenario(blocks_at(1, 1), udev=INSTANT_UDEV), "udev-reload")
    s.run_to_end()
    unloads = [r.t_s for r in kinds(s, RecordKind.UNLOAD_START)]
    loads_end = [r.t_s for r in kinds(s, RecordKind.LOAD_END)]
    assert unloads[0] == pytest.approx(1.0)
    # flock -w is a blocking wait: no poll interval between the two
    assert unloads[1] - loads_end[0] == pytest.approx(0.0, abs=1e-9)
    assert loads_end[1] == pytest.approx(1.0 + 2 * RELOAD_S)
    assert [r.detail["waiting"] for r in kinds(s, RecordKind.RELOAD_QUEUED)] == [1]


def wake_order(seed: int) -> list[str]:
    # four blocks at one instant: one kdumpctl holds the lock, three wait
    sc = scenario(blocks_at(1, 1, 1, 1), udev=INSTANT_UDEV)
    s = session(dataclasses.replace(sc, seed=seed), "udev-reload")
    s.run_to_end()
    return [str(r.detail["why"]) for r in kinds(s, RecordKind.UNLOAD_START)][1:]


def test_three_waiters_on_kdumpctl_wake_in_an_order_drawn_from_the_seed():
    orders = {seed: wake_order(seed) for seed in range(8)}
    assert all(len(o) == 3 for o in orders.values())
    assert wake_order(3) == orders[3]  # same seed, same order
    assert len({tuple(o) for o in orders.values()}) > 1  # not FIFO for every seed


def load_once(*times_s: float):
    s = session(scenario(blocks_at(*times_s), udev=INSTANT_UDEV), "udev-load-once")
    s.run_to_end()
    return s


def test_load_once_never_unloads_and_drops_an_event_that_arrives_inside_a_load():
    first = load_once(1)
    (taken,) = kinds(first, RecordKind.LOCK_TAKEN)
    (end,) = kinds(first, RecordKind.LOAD_END)
    inside = (taken.t_s + end.t_s) / 2  # the load syscall: image freed, kexec_crash_loaded = 0
    s = load_once(1, round(inside, 6))
    m = s.metrics()
    assert kinds(s, RecordKind.UNLOAD_START) == [] and kinds(s, RecordKind.UNLOAD_END) == []
    # the second block's add arrives mid-syscall and is dropped; its online matches no SUSE rule
    drops = kinds(s, RecordKind.THROTTLER_DROP)
    assert [d.detail["reason"] for d in drops] == ["kexec_crash_loaded=0"]
    assert m.dropped_uevents == 1 and m.reloads == 1


def test_load_once_no_dump_windows_are_exactly_the_load_syscalls():
    s = load_once(1, 1.2, 1.25, 4)
    syscalls = [
        (t.t_s, e.t_s)
        for t, e in zip(kinds(s, RecordKind.LOCK_TAKEN), kinds(s, RecordKind.LOAD_END), strict=True)
    ]
    windows = [(w.t0_s, w.t1_s) for w in s.readiness_history() if w.p_no_dump > 0]
    # 1 s: a load; 1.2 and 1.25 leave one pending job; 4 s: a third load
    assert len(syscalls) == 3
    assert windows == pytest.approx(syscalls)


def try_restart(*times_s: float):
    udev = INSTANT_UDEV + '\nreload_rule = "try-restart"'
    s = session(scenario(blocks_at(*times_s), udev=udev), "udev-reload")
    s.run_to_end()
    return s


def test_try_restart_requests_during_one_restart_give_one_more_restart_not_n():
    # restart 1.0 .. 1.75 (stop 1.0 .. 1.05, start 1.05 .. 1.75); five requests during the start
    s = try_restart(1, 1.3, 1.35, 1.4, 1.45, 1.5)
    assert s.metrics().reloads == 2
    jobs = [r.detail["job"] for r in kinds(s, RecordKind.RELOAD_QUEUED)]
    assert jobs == ["installed", "merged-rerun", "merged", "merged", "merged", "merged"]
    # the per-event form runs all six
    per_event = session(
        scenario(blocks_at(1, 1.3, 1.35, 1.4, 1.45, 1.5), udev=INSTANT_UDEV), "udev-reload"
    )
    per_event.run_to_end()
    assert per_event.metrics().reloads == 6


def test_try_restart_request_while_the_unit_is_still_stopping_merges_into_that_restart():
    # job_type_allows_late_merge(): a running restart is still mergeable before its start
    s = try_restart(1, 1.02)
    assert s.metrics().reloads == 1
    assert [r.detail["job"] for r in kinds(s, RecordKind.RELOAD_QUEUED)] == ["installed", "merged"]


def test_an_unload_that_meets_a_held_kexec_lock_fails_ebusy_and_leaves_the_image_loaded():
    s = session(scenario(blocks_at(1), udev=INSTANT_UDEV), "udev-reload")
    s.advance_to(0.5)
    assert s.sim.image.try_lock("crash-hotplug")  # an in-kernel update holds the lock
    s.advance_to(1.5)
    (failed,) = kinds(s, RecordKind.UNLOAD_END)
    assert failed.detail["ok"] is False and failed.detail["error"] == "EBUSY"
    assert failed.detail["lock_holder"] == "crash-hotplug"
    assert s.sim.image.loaded  # kdumpctl reload stops at "Stopping kdump: [FAILED]"
    s.sim.image.unlock("crash-hotplug")
    s.sim.refresh()
    s.run_to_end()
    assert kinds(s, RecordKind.LOAD_START) == [] and s.metrics().reloads == 0
