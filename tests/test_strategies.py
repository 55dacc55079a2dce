"""Hand-checkable strategy behaviour: reloads, windows, throttling, in-place updates."""

from __future__ import annotations

import pytest

from engine.devicetree.kdump_fdt import measured_cpu_node_bytes
from engine.run.outcomes import Cause, Result
from engine.run.trace import RecordKind
from tests.strategy_scenarios import INSTANT_UDEV, LOAD_S, RELOAD_S, scenario, session


def kinds(s, kind: RecordKind):
    return [r for r in s.records if r.kind == kind.value]


def test_per_event_reload_spaced_events_give_one_window_per_uevent_each_a_reload_long():
    # memory blocks: no CPU goes missing, so each window is exactly the load long
    # (changed: kernel/kexec.c do_kexec_load frees the image inside the unload
    # syscall, after kexec -p -u's start-up, not when kdumpctl starts the unload)
    sc = scenario(
        '[[storm]]\nat = "1s"\naction = "memory-add"\nblocks = 5\nevery = "2s"', udev=INSTANT_UDEV
    )
    s = session(sc, "udev-reload")
    s.run_to_end()
    m = s.metrics()
    # was 5: the kernel emits add then online per block (__add_memory, online_pages);
    # only online matches 98-kexec.rules.ppc64
    assert m.uevents == 2 * 5
    assert m.reloads == 5
    assert m.windows.count == 5
    assert m.windows.max_s == pytest.approx(LOAD_S)
    assert m.windows.total_s == pytest.approx(5 * LOAD_S)
    assert m.exposure_s == pytest.approx(5 * LOAD_S)
    assert m.settle_s == pytest.approx(RELOAD_S)


def test_per_event_reload_fast_uevents_queue_and_settle_takes_n_reloads():
    # one SMT8 core whose 8 threads come online at the same instant: 8 uevents at once
    sc = scenario(
        '[[storm]]\nat = "1s"\naction = "cpu-add"\ncores = 1',
        smt=8,
        thread_online="0s",
        udev=INSTANT_UDEV,
    )
    s = session(sc, "udev-reload")
    s.run_to_end()
    m = s.metrics()
    assert m.uevents == 8
    assert m.reloads == 8
    assert m.settle_s == pytest.approx(8 * RELOAD_S)
    # back-to-back reloads: the image is back for each next unload's start-up (changed:
    # the unload syscall, not kdumpctl, frees it - kernel/kexec.c do_kexec_load), so
    # 8 windows: the first runs from the threads' online (missing from the FDT) to
    # the first load's end, unload + load; the other 7 are one load each
    assert m.windows.count == 8
    assert m.windows.max_s == pytest.approx(RELOAD_S)
    assert m.windows.total_s == pytest.approx(RELOAD_S + 7 * LOAD_S)


def test_throttled_burst_inside_one_window_gives_one_reload_and_drops_the_rest():
    sc = scenario(
        '[[storm]]\nat = "1s"\naction = "memory-add"\nblocks = 6\nevery = "100ms"',
        udev=INSTANT_UDEV,
    )
    s = session(sc, "udev-throttled")
    s.run_to_end()
    m = s.metrics()
    assert m.uevents == 2 * 6  # add + online per block; the 6 online events match
    assert m.reloads == 1
    assert m.dropped_uevents == 5
    assert len(kinds(s, RecordKind.THROTTLER_DROP)) == 5
    start = kinds(s, RecordKind.THROTTLER_START)[0]
    settle = kinds(s, RecordKind.THROTTLER_SETTLE)[0]
    # sleep 1 s; the queue is empty by then, so settle returns at once
    assert settle.t_s - start.t_s == pytest.approx(1.0)
    assert settle.detail["returned"] == "queue-empty"
    assert settle.detail["waited_s"] == 0.0
    assert kinds(s, RecordKind.UNLOAD_START)[0].t_s == pytest.approx(settle.t_s)


def test_throttled_event_after_the_lock_is_released_starts_its_reload_when_kdumpctl_exits():
    sc = scenario(
        '[[storm]]\nat = "1s"\naction = "memory-add"\nblocks = 2\nevery = "1.5s"',
        load="3s",
        udev=INSTANT_UDEV,
    )
    s = session(sc, "udev-throttled")
    s.run_to_end()
    unloads = [r.t_s for r in kinds(s, RecordKind.UNLOAD_START)]
    # first: 1 + 1 (sleep); second throttler starts at 2.5, settles at 3.5, finds
    # kdumpctl busy (reload 2.0 .. 5.05) and waits on its flock until it exits: 5.05.
    # Was 8.5 (a 5 s poll): kdumpctl single_instance_lock's flock -w 5 is a blocking wait
    assert unloads == pytest.approx([2.0, 2.0 + 0.05 + 3.0])
    assert s.metrics().dropped_uevents == 0


def test_load_once_runs_one_load_plus_one_pending_whatever_the_burst():
    sc = scenario(
        '[[storm]]\nat = "1s"\naction = "memory-add"\nblocks = 10\nevery = "10ms"',
        udev=INSTANT_UDEV,
    )
    s = session(sc, "udev-load-once")
    s.run_to_end()
    m = s.metrics()
    assert m.reloads == 2
    # was 8 dropped: load-once.sh leaves its job in kdump.jobs for the running loop
    # (one pending load covers them all); nothing arrives inside a load syscall here
    assert m.dropped_uevents == 0
    assert kinds(s, RecordKind.UNLOAD_START) == []


def test_probe_on_a_just_added_cpu_is_lost_under_udev_reload_but_captured_with_fdt_hole():
    storm = '[[storm]]\nat = "2s"\naction = "cpu-add"\ncores = 1'
    # thread 2 (core 2, SMT1) comes online at 2 s; the udev rule runs 5 ms later
    probes = '[ { at = "2.002s", cpu = 2 }, { at = "2.5s", cpu = 2 } ]'
    udev = session(scenario(storm, probes=probes), "udev-reload")
    udev.run_to_end()
    outcomes = [(p.result, p.cause) for p in udev.metrics().probes]
    assert outcomes[0] == ("no-dump", "cpu-missing-in-fdt")
    assert outcomes[1][0] == "no-dump"  # the reload is unloading / loading

    hole = session(scenario(storm, probes=probes), "fdt-hole")
    hole.run_to_end()
    outcomes = [(p.result, p.cause) for p in hole.metrics().probes]
    # the per-core update runs at the end of dlpar_cpu_add, microseconds after the online
    assert outcomes == [("captured", None), ("captured", None)]
    assert hole.metrics().reloads == 0
    assert hole.metrics().kernel_updates == 1


def test_crash_hotplug_never_leaves_a_cpu_missing_from_the_fdt():
    sc = scenario(
        '[[storm]]\nat = "1s"\naction = "cpu-add"\ncores = 12\nevery = "300ms"\n'
        '[[storm]]\nat = "6s"\naction = "cpu-remove"\ncores = 4\nevery = "300ms"',
        smt=8,
    )
    s = session(sc, "crash-hotplug")
    s.run_to_end()
    causes = {seg.cause for seg in s.readiness_history() if seg.p_no_dump > 0}
    assert causes == {"image-null"}
    assert s.metrics().skipped_updates == 0
    assert s.metrics().kernel_updates == 12 * 8 + 4 * 8


def test_crash_hotplug_skips_the_update_when_the_kexec_lock_is_busy_and_the_cpu_goes_missing():
    sc = scenario(
        '[[storm]]\nat = "1s"\naction = "cpu-add"\ncores = 1',
        smt=2,
        probes='[ { at = "1.5s", cpu = 5 } ]',
    )
    s = session(sc, "crash-hotplug")
    s.advance_to(0.5)
    assert s.sim.image.try_lock("someone running kexec -p")  # a load in progress
    s.advance_to(1.2)
    s.sim.image.unlock("someone running kexec -p")
    s.sim.refresh()
    s.run_to_end()
    skips = kinds(s, RecordKind.UPDATE_SKIP)
    assert len(skips) == 2
    assert s.metrics().probes[0].as_dict() == {
        "t_s": 1.5,
        "cpu": 5,
        "result": "no-dump",
        "cause": "cpu-missing-in-fdt",
    }


def test_fdt_hole_too_small_reports_nospace_and_loses_boot_time_cores():
    # update_cpus_node re-adds nodes in live order (DLPAR-added first) and a libfdt
    # error is not rolled back (crash_handle_hotplug_event(): "Errors in the callback
    # is not a reason to rollback state"), so the cores that go missing are boot-time
    # ones; the old expectation (new CPU missing, old FDT kept) assumed a rollback
    probe = '[ { at = "5s", cpu = "newest" }, { at = "5s", cpu = 0 } ]'
    storm = '[[storm]]\nat = "1s"\naction = "cpu-add"\ncores = 20\nevery = "100ms"'
    roomy = session(scenario(storm, smt=8, probes=probe), "fdt-hole")
    node_bytes = measured_cpu_node_bytes(roomy.machine)
    # room for the boot FDT plus five and a half more SMT8 core nodes
    hole_bytes = roomy.hole.used_bytes + node_bytes * 11 // 2
    s = session(scenario(storm, smt=8, fdt_hole=f'"{hole_bytes}"', probes=probe), "fdt-hole")
    s.run_to_end()
    m = s.metrics()
    updates = kinds(s, RecordKind.UPDATE_END)
    assert [r.detail["outcome"] for r in updates] == ["updated"] * 5
    assert m.fdt_hole.nospace == 15
    assert len(kinds(s, RecordKind.UPDATE_NOSPACE)) == 15
    newest, boot = m.probes
    assert newest.result == Result.CAPTURED  # the newest core is re-added first
    assert (boot.result, boot.cause) == (Result.NO_DUMP, Cause.CPU_MISSING)
    assert m.fdt_hole.peak_used_bytes <= hole_bytes
    assert s.hole.stale
    # 2 boot + 20 added cores, room for 7 nodes and a half: the 7 newest made it
    assert [c for c, cov in sorted(s.core_coverage().items()) if cov.status == "online"] == [
        8 * core for core in range(15, 22)
    ]
    assert {s.core_coverage()[t].status for t in (0, 8)} == {"missing"}
