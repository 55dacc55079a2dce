"""kexec_load and kexec_file_load hold the kexec lock for different spans (kexec.syscalls)."""

from __future__ import annotations

import pytest

from engine.run.trace import RecordKind
from tests.strategy_scenarios import INSTANT_UDEV, LOAD_S, UNLOAD_S, scenario, session

MEMORY_ADD = '[[storm]]\nat = "1s"\naction = "memory-add"\nblocks = 1'


def step_until(s, kind: RecordKind):
    while True:
        record = s.step()
        assert record is not None, f"no {kind.value} record"
        if record.kind == kind.value:
            return record


@pytest.mark.parametrize(
    ("syscall", "expected"),
    [("kexec_file_load", ("no-dump", "kexec-locked")), ("kexec_load", ("no-dump", "unloaded"))],
)
def test_a_panic_while_the_load_builds_its_fdt_depends_on_the_syscall(syscall, expected):
    s = session(scenario(MEMORY_ADD, syscall=syscall, udev=INSTANT_UDEV), "udev-reload")
    build = step_until(s, RecordKind.LOAD_BUILD)
    # the uevent at 1 s reloads at once: unload 50 ms, then the load's 700 ms end with
    # the copy (40 MiB of kernel and initrd + FDT + elfcorehdr at 1 GiB/s, ~40 ms) after
    # 200 ms of build and digest; the build starts at 1.05 + 0.7 - 0.2 - copy
    copy_s = s.sim.load_copy_bytes() / s.sim.kdump.copy_bandwidth_bytes_per_s
    assert build.t_s == pytest.approx(1.0 + UNLOAD_S + LOAD_S - 0.2 - copy_s)
    assert build.detail["locked"] is (syscall == "kexec_file_load")
    outcome = s.crash(cpu=0)
    assert (outcome.result, outcome.cause) == expected


def test_kexec_file_load_holds_the_lock_from_its_build_through_its_copy():
    s = session(scenario(MEMORY_ADD, udev=INSTANT_UDEV), "udev-reload")
    s.run_to_end()
    taken = [r for r in s.records if r.kind == RecordKind.LOCK_TAKEN.value]
    released = [r for r in s.records if r.kind == RecordKind.LOCK_RELEASED.value]
    build = [r for r in s.records if r.kind == RecordKind.LOAD_BUILD.value]
    assert len(taken) == len(released) == len(build) == 1
    # trylock at syscall entry, the build at once after it, released when the copy ends
    assert taken[0].t_s == build[0].t_s
    copy_s = s.sim.load_copy_bytes() / s.sim.kdump.copy_bandwidth_bytes_per_s
    assert released[0].t_s - taken[0].t_s == pytest.approx(0.2 + copy_s)


def test_kexec_load_takes_the_lock_only_for_the_copy():
    s = session(scenario(MEMORY_ADD, syscall="kexec_load", udev=INSTANT_UDEV), "udev-reload")
    s.run_to_end()
    taken = next(r for r in s.records if r.kind == RecordKind.LOCK_TAKEN.value)
    released = next(r for r in s.records if r.kind == RecordKind.LOCK_RELEASED.value)
    build = next(r for r in s.records if r.kind == RecordKind.LOAD_BUILD.value)
    copy_s = s.sim.load_copy_bytes() / s.sim.kdump.copy_bandwidth_bytes_per_s
    # kexec-tools builds in userspace first: 200 ms, then the syscall copies
    assert taken.t_s - build.t_s == pytest.approx(0.2)
    assert released.t_s - taken.t_s == pytest.approx(copy_s)


def test_a_load_frees_the_old_image_at_its_start_even_without_an_unload():
    # kdump.service's first load at 2 s (no image before it): the load itself has
    # no image during its syscall; the image is there from its end
    sc = scenario("", extra_kdump='service_start = "2s"', syscall="kexec_file_load")
    s = session(sc, "udev-reload")
    assert s.crash(cpu=0).cause == "unloaded"
    s.advance_to(2.0 + LOAD_S - 0.1)
    assert s.crash(cpu=0).cause == "kexec-locked"
    s.advance_to(2.0 + LOAD_S + 0.01)
    assert s.crash(cpu=0).result == "captured"


def test_an_unload_that_finds_the_lock_held_fails_and_nothing_is_loaded():
    s = session(scenario(MEMORY_ADD, udev=INSTANT_UDEV), "udev-reload")
    step_until(s, RecordKind.UNLOAD_START)
    assert s.sim.image.try_lock("another kexec -p")
    end = step_until(s, RecordKind.UNLOAD_END)
    # issue-8's unload-end detail: the holder and kdumpctl's message
    assert end.detail == {
        "ok": False,
        "error": "EBUSY",
        "lock_holder": "another kexec -p",
        "message": "kexec: failed to unload kdump kernel; Stopping kdump: [FAILED]",
    }
    s.sim.image.unlock("another kexec -p")
    s.run_to_end()
    assert not [r for r in s.records if r.kind == RecordKind.LOAD_START.value]
