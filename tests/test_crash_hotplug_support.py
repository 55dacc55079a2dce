"""crash-hotplug: the image's hotplug support (kdump.hotplug) and the crash_hotplug sysfs read."""

from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.run.trace import RecordKind
from tests.strategy_scenarios import scenario, session

CPU_ADD = '[[storm]]\nat = "1s"\naction = "cpu-add"\ncores = 2\nevery = "20s"'


def of(s, kind: RecordKind):
    return [r for r in s.records if r.kind == kind.value]


def test_kexec_load_without_hotplug_makes_no_kernel_update_and_the_throttler_reloads():
    sc = scenario(CPU_ADD, smt=2, syscall="kexec_load")
    assert sc.kdump.hotplug is False  # kdumpctl does not pass kexec-tools' --hotplug
    s = session(sc, "crash-hotplug")
    s.run_to_end()
    m = s.metrics()
    assert m.kernel_updates == 0
    # 2 cores x SMT2 = 4 online uevents, each reading crash_hotplug = 0; the two
    # cores are 20 s apart, so each burst gives one throttled reload
    reads = of(s, RecordKind.CRASH_HOTPLUG_READ)
    assert len(reads) == 4
    assert {r.detail["why"] for r in reads} == {"the image has no hotplug support"}
    assert m.reloads == 2
    assert len(of(s, RecordKind.THROTTLER_START)) == 2
    skips = of(s, RecordKind.UPDATE_SKIP)
    assert skips and all("hotplug_support is 0" in r.detail["message"] for r in skips)


def test_kexec_load_with_hotplug_true_is_updated_by_the_kernel():
    sc = scenario(CPU_ADD, smt=2, syscall="kexec_load", extra_kdump="hotplug = true")
    s = session(sc, "crash-hotplug")
    s.run_to_end()
    assert s.metrics().kernel_updates == 4
    assert s.metrics().reloads == 0
    assert not of(s, RecordKind.CRASH_HOTPLUG_READ)


def test_hotplug_false_with_kexec_file_load_is_refused_on_its_line():
    with pytest.raises(InputError, match=r"kdump\.hotplug: a kexec_file_load image always"):
        scenario(CPU_ADD, extra_kdump="hotplug = false")


def test_an_event_during_the_initial_load_reads_zero_and_falls_through_to_a_reload():
    # kdump.service starts at 1 s; its kexec_file_load holds the lock from
    # 1 + 0.7 - 0.2 - copy (~1.46 s) to 1.7 s. A core added at 1.5 s: the kernel's
    # update fails its trylock, and udev's crash_hotplug read returns 0
    sc = scenario(
        '[[storm]]\nat = "1.5s"\naction = "cpu-add"\ncores = 1',
        smt=1,
        extra_kdump='service_start = "1s"',
    )
    s = session(sc, "crash-hotplug")
    s.run_to_end()
    reads = of(s, RecordKind.CRASH_HOTPLUG_READ)
    assert len(reads) == 1
    assert reads[0].detail["why"] == "kexec_trylock() failed: kexec-load holds the lock"
    assert s.metrics().skipped_updates == 1
    assert s.metrics().reloads == 1  # the throttler's, which repairs the FDT
    assert s.crash(cpu=1).result == "captured"


def test_a_read_during_the_kernels_own_update_waits_for_it_and_reads_one():
    # one SMT8 core: 8 per-thread updates 2 ms apart, each holding the kexec lock;
    # crash_check_hotplug_support() waits on crash_hotplug_lock(), so none reads 0
    s = session(scenario(CPU_ADD.replace("cores = 2", "cores = 1"), smt=8), "crash-hotplug")
    s.run_to_end()
    assert not of(s, RecordKind.CRASH_HOTPLUG_READ)
    assert s.metrics().reloads == 0
    assert s.metrics().kernel_updates == 8
