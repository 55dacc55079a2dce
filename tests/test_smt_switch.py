"""The storm action `smt` (ppc64_cpu --smt=N) and machine.boot_smt."""

from __future__ import annotations

import dataclasses

import pytest

from engine.errors import InputError
from engine.run.trace import RecordKind
from engine.scenario.load import parse_scenario
from tests.strategy_scenarios import scenario, session

SMT_4_TO_8 = '[[storm]]\nat = "1s"\naction = "smt"\nthreads = 8\nevery = "1ms"'


def smt_scenario(storm: str = SMT_4_TO_8, **kw):
    return scenario(storm, smt=8, present=16, possible=32, **kw)


def boot_smt(sc, n: int):
    return dataclasses.replace(sc, machine=dataclasses.replace(sc.machine, boot_smt=n))


def test_an_smt_switch_from_4_to_8_gives_64_uevents_and_64_crash_hotplug_updates():
    sc = boot_smt(smt_scenario(), 4)
    s = session(sc, "crash-hotplug")
    assert len(s.machine.online_threads) == 16 * 4
    s.run_to_end()
    m = s.metrics()
    # 16 cores x (8 - 4) threads = 64 threads onlined, one uevent and one
    # crash_handle_hotplug_event() each
    assert m.uevents == 64
    assert m.kernel_updates == 64
    assert len(s.machine.online_threads) == 16 * 8


def test_an_smt_switch_never_calls_the_rfc_hook():
    s = session(boot_smt(smt_scenario(), 4), "fdt-hole")
    s.run_to_end()
    assert s.metrics().uevents == 64
    assert not [r for r in s.records if r.kind == RecordKind.UPDATE_START.value]
    assert s.metrics().kernel_updates == 0
    # every core's node already lists all 8 threads: nothing goes missing
    assert all(seg.cause is None for seg in s.readiness_history())


def test_an_smt_switch_down_offlines_threads_per_core_one_uevent_each():
    sc = smt_scenario(SMT_4_TO_8.replace("threads = 8", "threads = 2"))
    s = session(sc, "udev-reload")
    s.run_to_end()
    uevents = [r for r in s.records if r.kind == RecordKind.UEVENT.value]
    offline = [r for r in uevents if r.detail["action"] == "offline"]
    assert len(offline) == 16 * 6  # SMT8 -> SMT2 on 16 cores
    # the per-thread steps are 1 ms apart: 96 steps span 95 ms
    assert offline[-1].t_s - offline[0].t_s == pytest.approx(0.095)
    assert s.metrics().reloads == 0  # CPU offline matches no ppc64 kdump rule


def test_a_dlpar_added_core_honours_the_smt_mode():
    sc = boot_smt(smt_scenario('[[storm]]\nat = "1s"\naction = "cpu-add"\ncores = 1'), 2)
    s = session(sc, "udev-reload")
    s.run_to_end()
    assert s.metrics().uevents == 2
    assert len(s.machine.online_threads) == 17 * 2


def test_smt_threads_above_the_machine_width_are_refused():
    with pytest.raises(InputError, match=r"storm\[0\]\.threads: 16 threads per core: more than"):
        smt_scenario(SMT_4_TO_8.replace("threads = 8", "threads = 16"))


def test_boot_smt_above_the_width_is_refused():
    with pytest.raises(InputError, match=r"machine\.boot_smt: 9 threads per core"):
        parse_scenario(
            '[scenario]\nduration = "1s"\n[machine]\nsmt = 8\nboot_smt = 9\n'
            'cores_present = 1\ncores_possible = 2\nmemory = "1GiB"\n',
            "x.toml",
        )


def test_an_smt_storm_without_threads_is_refused():
    with pytest.raises(InputError, match=r"storm\[0\]\.threads: required key is missing"):
        smt_scenario(SMT_4_TO_8.replace("threads = 8\n", ""))
