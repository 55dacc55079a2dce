"""A table of broken scenario files and the one line each must produce."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.scenario.load import check_scenario_file, load_scenario

ROOT = Path(__file__).resolve().parent.parent
BROKEN = Path(__file__).parent / "broken_scenarios"
REL = "tests/broken_scenarios"

# file stem -> the exact line (``{f}`` = the file as given); a regex when it starts with "re:"
EXPECTED = {
    "bad_distribution": "{f}:17: kdump.reload.load: bad distribution 'uniform(1s)': use "
    "'uniform(a, b)' or 'lognormal(median, sigma)'",
    "bad_duration_unit": "{f}:19: storm[0].every: bad duration '250 msec': use a number with "
    "us, ms, s, min or h",
    # the parser also takes K/M/G/T (binary, as crashkernel=) and KB/MB/GB/TB (decimal): all named
    "bad_size_unit": "{f}:12: machine.memory: bad size '8 gigs': use a number of bytes, or a "
    "number with B, K, KiB, M, MiB, G, GiB, T, TiB (powers of 1024) or KB, MB, GB, TB (powers "
    "of 1000); case does not matter",
    "bad_syscall": "{f}:16: kdump.syscall: expected one of kexec_file_load, kexec_load; "
    "got 'kexec'",
    "churn_bad_rate": "{f}:16: churn[0].rate: bad rate 'fast': use e.g. '2/s'",
    "churn_end_before_start": "{f}:17: churn[0].end: 20s is not after start (30s)",
    "churn_fraction_out_of_range": "{f}:17: churn[0].cpu_fraction: expected a number from 0 to 1, "
    "got 1.5",
    "cores_on_memory_storm": "{f}:18: storm[0].cores: is for cpu storms; a memory-add storm takes "
    "size or blocks",
    "cores_possible_missing": "{f}:7: machine.cores_possible: required key is missing "
    "(cores the LPAR may grow to)",
    "cpu_add_beyond_possible": "{f}:15: storm[0]: cpu-add of 5 cores goes past "
    "machine.cores_possible = 8: 4 cores present when it starts at 5s",
    "cpu_add_running_count": "{f}:27: storm[2]: cpu-add of 4 cores goes past "
    "machine.cores_possible = 8: 5 cores present when it starts at 30s",
    "cpu_remove_all": "{f}:15: storm[0]: cpu-remove of 4 cores would remove the last core: "
    "4 cores present when it starts at 5s",
    "crash_base_above_rma": "{f}:16: kdump.crash_base: crashkernel region starts at 0x80000000, "
    "at or above the RMA limit 0x40000000 (1 GiB): the capture kernel must start in the RMA",
    "duration_missing": "{f}:2: scenario.duration: required key is missing "
    "(simulated time, above zero)",
    "duration_zero": "{f}:5: scenario.duration: must be above zero",
    "every_missing": "{f}:15: storm[0].every: required: 2 events need a spacing, "
    "e.g. every = '250ms'",
    # the DTB is named too (issue 14): the scenario, its key, then the file and what is wrong
    "from_dtb_missing": "{f}:8: machine.from_dtb: tests/broken_scenarios/no_such.dtb: "
    "cannot read the file: no such file",
    "from_dtb_with_smt": "{f}:9: machine.smt: comes from machine.from_dtb; remove it",
    "hole_larger_than_region": "{f}:17: kdump.fdt_hole: FDT hole of 1 GiB is larger than the "
    "crashkernel region (512 MiB)",
    "machine_missing": "{f}: machine: required table [machine] is missing",
    "memory_add_beyond_max": "{f}:16: storm[0]: memory-add of 16 GiB (64 blocks) goes past "
    "machine.memory_max = 16 GiB: 8 GiB present when it starts at 5s",
    "memory_block_not_power_of_two": "{f}:13: machine.memory_block: must be a power of two, "
    "at least 16 MiB (ppc64 section)",
    "memory_max_below_memory": "{f}:14: machine.memory_max: below machine.memory (8 GiB)",
    "memory_remove_all": "{f}:15: storm[0]: memory-remove of 8 GiB (32 blocks) would remove the "
    "last memory block: 8 GiB present when it starts at 5s",
    "not_utf8": "{f}: cannot read: not UTF-8 text",
    "present_above_possible": "{f}:10: machine.cores_present: 12 cores present but "
    "cores_possible is 8",
    "probe_cpu_bad_name": "{f}:16: crash.probes[0].cpu: expected a thread number, 'newest' or "
    "'random'; got 'oldest'",
    "probe_cpu_not_possible": "{f}:18: crash.probes[1].cpu: thread 64 is not a possible thread "
    "(0 to 63)",
    "probe_past_end": "{f}:16: crash.probes[1].at: 61s is past the end (scenario.duration = 60s)",
    "seed_float": "{f}:4: scenario.seed: expected an integer, got 4.5",
    "seed_not_integer": "{f}:4: scenario.seed: expected an integer, got 'forty-two'",
    "segments_larger_than_region": "{f}:16: kdump.crashkernel: kernel 40 MiB + initrd 300 MiB + "
    "purgatory 64 KiB = 340.1 MiB do not fit in the crashkernel region of 256 MiB",
    "size_and_blocks": "{f}:19: storm[0].blocks: give size or blocks, not both",
    "size_not_whole_blocks": "{f}:18: storm[0].size: 1000 MiB is not a whole number of memory "
    "blocks (machine.memory_block = 256 MiB)",
    "size_on_cpu_storm": "{f}:19: storm[0].size: is for memory storms; a cpu-add storm takes cores",
    "smt_not_allowed": "{f}:9: machine.smt: expected one of 1, 2, 4, 8; got 3",
    "smt_wrong_type": "{f}:9: machine.smt: expected an integer, got 'eight'",
    "storm_at_past_end": "{f}:16: storm[0].at: 90s is not before the end (scenario.duration = 60s)",
    "storm_last_event_past_end": "{f}:19: storm[0].every: the last event, at up to 65s, falls "
    "past the end (scenario.duration = 60s)",
    "storm_not_array": "{f}:15: storm: use [[storm]] tables (an array of tables), not "
    "storm = ... or [storm]",
    "strategy_twice": "{f}:16: compare.strategies: a strategy is listed twice",
    "syntax_error": r"re:{f}:4: TOML syntax: Illegal character .*\(column 16\)",
    "too_many_threads": "{f}:11: machine.cores_possible: 2048 cores x SMT8 = 16384 threads, above "
    "the 8192 a ppc64 kernel supports (NR_CPUS)",
    "unknown_action": "{f}:17: storm[0].action: expected one of cpu-add, cpu-remove, memory-add, "
    "memory-remove, smt; got 'cpu-plug'",  # smt: issue 9's ppc64_cpu --smt storm action
    "unknown_key_inline_reload": "{f}:16: kdump.reload.lod: unknown key; did you mean 'load'?",
    "unknown_key_storm": "{f}:19: storm[0].evry: unknown key; did you mean 'every'?",
    "unknown_strategy": "{f}:16: compare.strategies: unknown strategy 'kexec-magic'; valid: "
    "udev-reload, udev-throttled, udev-load-once, fdt-hole, crash-hotplug",
    "unknown_table": "{f}:15: machien: unknown table; did you mean 'machine'?",
}


def matches(line: str, expected: str, f: str) -> bool:
    if expected.startswith("re:"):
        return re.fullmatch(expected[3:].replace("{f}", re.escape(f)), line) is not None
    return line == expected.format(f=f)


def test_every_broken_file_is_in_the_table_and_the_table_is_big():
    assert sorted(p.stem for p in BROKEN.glob("*.toml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 30


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_broken_file_gives_exactly_its_one_line(stem, monkeypatch):
    monkeypatch.chdir(ROOT)
    f = f"{REL}/{stem}.toml"
    errors = check_scenario_file(f)
    assert len(errors) == 1, [str(e) for e in errors]
    assert matches(str(errors[0]), EXPECTED[stem], f), str(errors[0])
    with pytest.raises(InputError) as info:
        load_scenario(f)
    assert str(info.value) == str(errors[0])


def test_missing_file(tmp_path):
    (error,) = check_scenario_file(tmp_path / "nope.toml")
    assert str(error) == f"{tmp_path / 'nope.toml'}: cannot read: no such file"


# The real command line. Until cli.main lists cli.cmd_validate, the same main() is run with
# the module appended, so the dispatch, the error handling and the exit status are still main's.
def cli(*args: str) -> subprocess.CompletedProcess[str]:
    # (a shim that registered `validate` before it shipped is gone: cli.commands has it)
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "validate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "stem",
    ["syntax_error", "unknown_key_storm", "cpu_add_running_count", "not_utf8", "machine_missing"],
)
def test_cli_prints_one_line_and_exits_2(stem):
    f = f"{REL}/{stem}.toml"
    before = ((ROOT / f).read_bytes(), (ROOT / f).stat().st_mtime_ns)
    done = cli(f)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert matches(lines[0].removeprefix("kdump-storm: "), EXPECTED[stem], f), lines[0]
    assert ((ROOT / f).read_bytes(), (ROOT / f).stat().st_mtime_ns) == before


def test_cli_checks_every_file_and_reports_each():
    good = "scenarios/default.toml"
    bad = [f"{REL}/seed_float.toml", f"{REL}/unknown_table.toml"]
    done = cli(good, *bad)
    assert done.returncode == 2
    assert done.stdout.startswith(f"{good}: ok (")
    assert [line.removeprefix("kdump-storm: ") for line in done.stderr.splitlines()] == [
        EXPECTED["seed_float"].format(f=bad[0]),
        EXPECTED["unknown_table"].format(f=bad[1]),
    ]
