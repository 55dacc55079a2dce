"""Storms from captures: ``udevadm monitor`` (both forms) and ``journalctl -o json``.

The shipped capture (scenarios/captures/) is a DLPAR add of 4 SMT8 cores and a
2 GiB memory resize; written as [[storm]] tables the same storm must give the
same uevents at the same instants under every strategy.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.run.session import Session
from engine.scenario.capture import captured_storm
from engine.scenario.capture_read import read_capture
from engine.scenario.load import Scenario, load_scenario, parse_scenario
from engine.strategies import STRATEGY_NAMES

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SHIPPED = SCENARIOS / "capture_resize.toml"
FORMS = ("resize.property.log", "resize.monitor.log", "resize.journal.json")
# the [[storm]] tables the capture was taken from: 4 cores one per 250 ms from 5 s
# (threads 2 ms apart: machine.thread_online), 2 GiB = 8 blocks one per 50 ms from 8 s
TOML_STORM = """[[storm]]
at = "5s"
action = "cpu-add"
cores = 4
every = "250ms"

[[storm]]
at = "8s"
action = "memory-add"
size = "2GiB"
every = "50ms"
"""


def _capture_storm_table(name: str) -> str:
    return f'[[storm]]\nat = "5s"\nfrom_capture = "captures/{name}"\n'


def _scenario_with(storm: str) -> Scenario:
    text = SHIPPED.read_text()
    start = text.index("\n[[storm]]\n") + 1
    end = text.index("\n[crash]\n") + 1
    return parse_scenario(text[:start] + storm + "\n" + text[end:], str(SHIPPED), SCENARIOS)


@cache
def _uevents(storm: str, strategy: str) -> tuple[tuple[float, str, str, int], ...]:
    session = Session(_scenario_with(storm), strategy)
    session.run_to_end()
    return tuple(
        (round(r.t_s, 9), r.detail["subsystem"], r.detail["action"], r.detail["id"])
        for r in session.records
        if r.kind == "uevent"
    )


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
@pytest.mark.parametrize("form", FORMS)
def test_the_capture_replays_as_the_same_storm_written_in_toml(form: str, strategy: str) -> None:
    expected = _uevents(TOML_STORM, strategy)
    got = _uevents(_capture_storm_table(form), strategy)
    assert got == expected
    # 4 cores x 8 threads online, then per block of memory what the kernel sends
    assert sum(u[1] == "cpu" and u[2] == "online" for u in got) == 32
    assert {u[3] for u in got if u[1] == "cpu"} == set(range(32, 64))
    assert {u[3] for u in got if u[1] == "memory"} == set(range(32, 40))
    # each block: "add" (the device registered), then "online", as the kernel sends them
    for block in range(32, 40):
        actions = [u[2] for u in got if u[1] == "memory" and u[3] == block]
        assert actions == ["add", "online"]


def test_the_capture_starts_at_its_first_cpu_or_memory_event_offset_by_at() -> None:
    storm = _scenario_with(_capture_storm_table("resize.monitor.log")).captures[0]
    assert storm.at_s == 5.0
    first = storm.steps[0]
    # the module load 0.41 s before is counted, not replayed, and sets no origin
    assert (first.t_s, first.action, first.target) == (0.0, "core-add", 4)
    assert first.threads == tuple(range(32, 40))
    assert first.gaps_s == (0.002,) * 7
    assert storm.ignored == (("module add", 1),)
    # the last memory online: 3 s + 7 x 50 ms after the first event
    assert storm.span_s == pytest.approx(3.35)


def test_the_udevadm_forms_and_the_journal_give_the_same_steps() -> None:
    storms = [_scenario_with(_capture_storm_table(f)).captures[0] for f in FORMS]
    steps = [[(s.t_s, s.action, s.target, s.threads, s.gaps_s) for s in x.steps] for x in storms]
    assert steps[0] == steps[1] == steps[2]
    assert len(steps[0]) == 4 + 8 + 8  # 4 DLPAR core adds, 8 memory adds, 8 onlines
    assert [s.form for s in storms] == ["udevadm monitor", "udevadm monitor", "journal"]


MACHINE = """[scenario]
duration = "60s"
[machine]
smt = 8
cores_present = 4
cores_possible = 16
memory = "8GiB"
memory_max = "16GiB"
[kdump]
crashkernel = "256MiB"
kernel = "20MiB"
initrd = "20MiB"
[[storm]]
at = "1s"
from_capture = "c.log"
"""
STORM_LINE = MACHINE.splitlines().index("[[storm]]") + 1


def kdump_storm(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )


GOOD = "KERNEL[100.000000] online   /devices/system/cpu/cpu32 (cpu)\n"
BAD_LINES = {
    # 16 possible cores x SMT 8 = threads 0 to 127
    "unknown thread": (
        GOOD + "KERNEL[100.002000] online   /devices/system/cpu/cpu200 (cpu)\n",
        2,
        "cpu200: thread 200 is outside the possible cores (machine.cores_possible = 16 x "
        "smt 8: threads 0 to 127)",
    ),
    # memory_max 16 GiB = 64 blocks of 256 MiB: 0 to 63
    "block past the max": (
        GOOD + "KERNEL[100.100000] add      /devices/system/memory/memory70 (memory)\n",
        2,
        "memory70 add: block 70 is past machine.memory_max = 16 GiB (blocks 0 to 63 of 256 MiB)",
    ),
    "garbled time": (
        GOOD + "KERNEL[100.0O2000] online   /devices/system/cpu/cpu33 (cpu)\n",
        2,
        "bad time [100.0O2000]: expected [SECONDS.MICROSECONDS], e.g. [12345.678901]",
    ),
    "garbled line": (
        GOOD + "KERNEL[100.002000] online\n",
        2,
        "garbled event line: expected 'KERNEL[SECONDS.MICROSECONDS] ACTION DEVPATH "
        "(SUBSYSTEM)', got 'KERNEL[100.002000] online'",
    ),
    "property contradicts its line": (
        GOOD + "ACTION=offline\nSEQNUM=7\n",
        2,
        "ACTION=offline contradicts its event line (action 'online', line 1)",
    ),
    "offline of an offline thread": (
        GOOD + "KERNEL[100.004000] offline  /devices/system/cpu/cpu40 (cpu)\n",
        2,
        "cpu40 offline: thread 40 is not online",
    ),
    "time backwards": (
        GOOD + "KERNEL[99.000000] online   /devices/system/cpu/cpu33 (cpu)\n",
        2,
        "time goes backwards: 99.000000 after 100.000000",
    ),
    "journal garbage": (
        '{"ACTION": "online", "DEVPATH": "/devices/system/cpu/cpu32", '
        '"__MONOTONIC_TIMESTAMP": "100000000"}\n{"ACTION": \n',
        2,
        "not a JSON object: Expecting value",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_a_bad_capture_line_is_file_line_reason_and_exit_2(case: str, tmp_path: Path) -> None:
    text, line, reason = BAD_LINES[case]
    (tmp_path / "c.log").write_text(text)
    (tmp_path / "s.toml").write_text(MACHINE)
    out = kdump_storm("run", "s.toml", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stdout == ""
    # the capture is named as the scenario names it: relative to the scenario's directory,
    # after the scenario line and key that name it (issue 14: like machine.from_dtb)
    assert (
        out.stderr
        == f"kdump-storm: s.toml:{STORM_LINE}: storm[0].from_capture: c.log:{line}: {reason}\n"
    )
    # validate reads the capture as strictly
    checked = kdump_storm("validate", "s.toml", cwd=tmp_path)
    assert checked.returncode == 2 and f"c.log:{line}: {reason}" in checked.stdout + checked.stderr


def test_a_capture_without_cpu_or_memory_events_says_so(tmp_path: Path) -> None:
    (tmp_path / "c.log").write_text(
        "KERNEL[5.000000] add      /module/rpadlpar_io (module)\n"
        "KERNEL[5.100000] change   /devices/virtual/net/lo (net)\n"
        "KERNEL[5.200000] add      /devices/system/cpu/cpu3/cache (cpu)\n"
    )
    (tmp_path / "s.toml").write_text(MACHINE)
    out = kdump_storm("run", "s.toml", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr == (
        f"kdump-storm: s.toml:{STORM_LINE}: storm[0].from_capture: c.log: no CPU or memory "
        "events to replay (udevadm monitor capture; found: 1 cpu device add, 1 module add, "
        "1 net change)\n"
    )


def test_run_capture_replays_the_file_from_t0_instead_of_the_storms(tmp_path: Path) -> None:
    capture = SCENARIOS / "captures" / "resize.monitor.log"
    out = kdump_storm(
        "run", "--capture", str(capture), str(SHIPPED), "--strategy", "udev-throttled",
        "--format", "json", "--trace", str(tmp_path / "t.jsonl"), cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    _, *records = [json.loads(x) for x in (tmp_path / "t.jsonl").read_text().splitlines()]
    uevents = [r for r in records if r["kind"] == "uevent"]
    assert uevents[0]["t_s"] == 0.0  # at = 0: the first event is the start of the run
    # the same storm, moved 5 s earlier than the scenario's `at = "5s"`
    shifted = [(round(t - 5.0, 9), *rest) for t, *rest in _uevents(
        _capture_storm_table("resize.monitor.log"), "udev-throttled")]  # fmt: skip
    assert [(r["t_s"], r["detail"]["subsystem"], r["detail"]["action"], r["detail"]["id"])
            for r in uevents] == shifted  # fmt: skip


def test_a_journal_entry_logged_twice_is_one_event_and_other_entries_are_skipped() -> None:
    lines = [
        {"MESSAGE": "dlpar: cpu add", "__MONOTONIC_TIMESTAMP": "1"},
        {"ACTION": "online", "DEVPATH": "/devices/system/cpu/cpu32", "SEQNUM": "9",
         "SUBSYSTEM": "cpu", "__MONOTONIC_TIMESTAMP": "2000000"},
        {"ACTION": "online", "DEVPATH": "/devices/system/cpu/cpu32", "SEQNUM": "9",
         "_KERNEL_SUBSYSTEM": "cpu", "__MONOTONIC_TIMESTAMP": "2000100"},
        {"ACTION": "online", "DEVPATH": "/devices/system/cpu/cpu33",
         "__MONOTONIC_TIMESTAMP": "2002000"},
    ]  # fmt: skip
    capture = read_capture("\n".join(json.dumps(x) for x in lines), "j.json")
    assert [(e.line, e.t_us, e.subsystem, e.seqnum) for e in capture.events] == [
        (2, 2_000_000, "cpu", 9),
        (4, 2_002_000, "cpu", None),  # no SUBSYSTEM: taken from the DEVPATH
    ]
    assert capture.other_lines == 2


def test_offlining_every_thread_of_a_core_is_the_dlpar_remove_and_some_is_an_smt_change() -> None:
    machine = load_scenario(SHIPPED).machine  # SMT 8, cores 0 to 3 at boot
    lines = [f"KERNEL[10.{i:06d}] offline  /devices/system/cpu/cpu{t} (cpu)"
             for i, t in enumerate(range(31, 23, -1))]  # fmt: skip
    lines += ["KERNEL[11.000000] offline  /devices/system/cpu/cpu7 (cpu)",
              "KERNEL[11.000500] offline  /devices/system/cpu/cpu6 (cpu)"]  # fmt: skip
    storm = captured_storm(read_capture("\n".join(lines), "c.log"), machine)
    remove, *smt = storm.steps
    assert (remove.action, remove.target, remove.threads) == (
        "core-remove",
        3,
        tuple(range(31, 23, -1)),
    )
    assert [(s.action, s.target) for s in smt] == [("thread-offline", 7), ("thread-offline", 6)]


def test_a_thread_of_a_booted_core_onlined_again_is_refused_with_the_boot_state() -> None:
    machine = load_scenario(SHIPPED).machine
    text = "KERNEL[10.000000] online   /devices/system/cpu/cpu9 (cpu)\n"
    with pytest.raises(InputError) as err:
        captured_storm(read_capture(text, "c.log"), machine)
    assert str(err.value) == (
        "c.log:1: cpu9 online: thread 9 is already online (core 1: machine.cores_present = 4 "
        "boots cores 0 to 3)"
    )
