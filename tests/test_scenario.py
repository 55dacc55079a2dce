"""Scenario files -> dataclasses: the issue's example, defaults, units, lines, overrides."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.scenario.load import (
    DEFAULT_BOOTARGS,
    Probe,
    check_scenario_file,
    load_scenario,
    parse_scenario,
    with_overrides,
)
from engine.strategies import STRATEGY_NAMES
from engine.units import Duration

GIB = 1 << 30
MIB = 1 << 20
DATA = Path(__file__).parent / "data"

EXAMPLE = textwrap.dedent(
    """\
    [scenario]
    name = "DLPAR burst: 24 cores added to a POWER9 LPAR"
    seed = 42
    duration = "120s"

    [machine]
    cpu_model = "POWER9"      # or from_dtb = "path/to/real.dtb"
    smt = 8
    cores_present = 8
    cores_possible = 64
    memory = "64GiB"
    memory_block = "256MiB"

    [kdump]
    crashkernel = "512MiB"
    syscall = "kexec_file_load"   # or "kexec_load"
    kernel = "40MiB"
    initrd = "30MiB"
    fdt_hole = "1MiB"             # or "auto"
    reload = { unload = "50ms", load = "uniform(0.5s, 1s)" }

    [[storm]]
    at = "5s"
    action = "cpu-add"            # cpu-add | cpu-remove | memory-add | memory-remove
    cores = 24
    every = "250ms"               # one core per 250 ms; each core = smt thread uevents

    [[storm]]
    at = "40s"
    action = "memory-add"
    size = "32GiB"
    every = "20ms"                # one block per 20 ms

    [crash]
    probes = [ { at = "7.2s", cpu = "newest" }, { at = "50s", cpu = 3 } ]
    monte_carlo = 10000

    [compare]
    strategies = ["udev-reload", "udev-throttled", "fdt-hole", "crash-hotplug"]
    """
)

MINIMAL = textwrap.dedent(
    """\
    [scenario]
    duration = "60s"

    [machine]
    cores_present = 4
    cores_possible = 8
    memory = "8GiB"
    """
)


def parse(text: str, source: str = "t.toml", base_dir: Path | None = None):
    return parse_scenario(textwrap.dedent(text), source, base_dir)


def errors_of(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "t.toml"
    path.write_text(textwrap.dedent(text))
    return [str(e).replace(str(path), "t.toml") for e in check_scenario_file(path)]


def test_issue_example_parses_to_the_values_it_states():
    s = parse(EXAMPLE, "example.toml")
    assert (s.name, s.seed, s.duration_s, s.source) == (
        "DLPAR burst: 24 cores added to a POWER9 LPAR",
        42,
        120.0,
        "example.toml",
    )
    m = s.machine
    assert (m.cpu_model, m.smt, m.cores_present, m.cores_possible) == ("POWER9", 8, 8, 64)
    assert m.memory_bytes == 64 * GIB and m.memory_block_bytes == 256 * MIB
    assert m.memory_possible_bytes == 96 * GIB  # 64 GiB + the 32 GiB the storm adds
    assert m.threads_possible == 512
    k = s.kdump
    assert k.crashkernel_bytes == 512 * MIB and k.syscall == "kexec_file_load"
    assert (k.kernel_bytes, k.initrd_bytes, k.fdt_hole_bytes) == (40 * MIB, 30 * MIB, MIB)
    assert k.reload.unload == Duration("fixed", 0.05)
    assert k.reload.load == Duration("uniform", 0.5, 1.0)
    cpu, mem = s.storms
    assert (cpu.index, cpu.at_s, cpu.action, cpu.count, cpu.every_s) == (
        0,
        5.0,
        "cpu-add",
        24,
        0.25,
    )
    assert (mem.index, mem.at_s, mem.action, mem.count) == (1, 40.0, "memory-add", 128)
    assert mem.every_s == pytest.approx(0.02)
    assert (cpu.line, mem.line) == (22, 28)
    assert s.crash.probes == (Probe(7.2, "newest"), Probe(50.0, 3))
    assert s.crash.monte_carlo == 10000
    assert s.strategies == ("udev-reload", "udev-throttled", "fdt-hole", "crash-hotplug")
    assert s.churn == ()


def test_defaults_of_a_minimal_file(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(MINIMAL)
    s = load_scenario(path)
    assert (s.name, s.description, s.seed, s.source) == ("tiny", "", 0, str(path))
    m = s.machine
    assert (m.cpu_model, m.smt, m.memory_block_bytes, m.lpar) == ("POWER9", 8, 256 * MIB, True)
    assert m.memory_possible_bytes == 8 * GIB and m.rma_bytes == GIB
    assert m.thread_online_s == 0.002 and m.from_dtb is None
    k = s.kdump
    assert (k.crashkernel_bytes, k.crash_base_bytes, k.syscall) == (
        512 * MIB,
        None,
        "kexec_file_load",
    )
    assert (k.kernel_bytes, k.initrd_bytes, k.purgatory_bytes) == (40 * MIB, 30 * MIB, 64 << 10)
    assert k.fdt_hole_bytes == MIB and k.bootargs == DEFAULT_BOOTARGS
    assert k.reload.unload.mean_s == 0.05 and k.reload.load.max_s == 1.0
    assert (k.throttler.sleep_s, k.throttler.settle_timeout_s) == (1.0, 3.0)
    assert k.kernel_update.fixed_s == 20e-6 and k.kernel_update.bandwidth_bytes_per_s == 3 * GIB
    assert k.copy_bandwidth_bytes_per_s == GIB
    u = s.udev
    assert (u.children_max, u.event_s, u.reload_rule) == (None, 0.003, "systemd-run")
    assert u.pid1_s == pytest.approx(86 / 3840) and u.throttler_exec_s == 0.01
    assert s.storms == () and s.churn == () and s.crash.probes == ()
    assert s.crash.monte_carlo == 10000 and s.strategies == STRATEGY_NAMES


def test_every_optional_key_and_its_units():
    s = parse(
        """\
        [scenario]
        name = "all keys"
        description = "every key"
        seed = 7
        duration = "2min"

        [machine]
        smt = 4
        cpu_model = "POWER10"
        cores_present = 2
        cores_possible = 4
        memory = "4GiB"
        memory_block = "128MiB"
        memory_max = "8GiB"
        lpar = false
        rma = "512MiB"
        thread_online = "1ms"

        [kdump]
        crashkernel = "256MiB"
        crash_base = "128MiB"
        syscall = "kexec_load"
        kernel = "20MiB"
        initrd = 0
        purgatory = "32KiB"
        fdt_hole = "auto"
        bootargs = "maxcpus=1"
        copy_bandwidth = "512MiB/s"

        [kdump.reload]
        unload = "20ms"
        load = "lognormal(700ms, 0.3)"

        [kdump.throttler]
        sleep = "500ms"
        settle_timeout = "2s"

        [udev]
        children_max = 4
        event = "1ms"
        pid1 = "30ms"
        throttler_exec = "5ms"
        reload_rule = "try-restart"

        [kdump.kernel_update]
        fixed = "50us"
        bandwidth = 1000000

        [[storm]]
        at = 10
        action = "memory-add"
        blocks = 4
        every = "100ms"
        jitter = "10ms"

        [[churn]]
        start = "20s"
        rate = "30/min"
        cpu_fraction = 1
        add_fraction = 0

        [crash]
        probes = [{ at = "1s" }]
        monte_carlo = 0

        [compare]
        strategies = ["crash-hotplug"]
        """
    )
    assert s.duration_s == 120.0 and s.description == "every key"
    m = s.machine
    assert (m.cpu_model, m.smt, m.memory_block_bytes, m.memory_possible_bytes) == (
        "POWER10",
        4,
        128 * MIB,
        8 * GIB,
    )
    assert (m.lpar, m.rma_bytes, m.thread_online_s) == (False, 512 * MIB, 0.001)
    k = s.kdump
    assert (k.crash_base_bytes, k.syscall, k.initrd_bytes, k.purgatory_bytes) == (
        128 * MIB,
        "kexec_load",
        0,
        32 << 10,
    )
    assert k.fdt_hole_bytes is None and k.bootargs == "maxcpus=1"
    assert k.copy_bandwidth_bytes_per_s == 512 * MIB
    assert k.reload.load.kind == "lognormal"
    assert (k.reload.load.a_s, k.reload.load.b_s) == (pytest.approx(0.7), 0.3)
    assert (k.throttler.sleep_s, k.throttler.settle_timeout_s) == (0.5, 2.0)
    u = s.udev
    assert (u.children_max, u.event_s, u.pid1_s) == (4, 0.001, 0.03)
    assert (u.throttler_exec_s, u.reload_rule) == (0.005, "try-restart")
    assert k.kernel_update.fixed_s == pytest.approx(50e-6)
    assert k.kernel_update.bandwidth_bytes_per_s == 1e6
    (storm,) = s.storms
    assert (storm.at_s, storm.count, storm.jitter_s) == (10.0, 4, 0.01)
    (churn,) = s.churn
    assert (churn.start_s, churn.end_s, churn.rate_per_s) == (20.0, 120.0, 0.5)
    assert (churn.cpu_fraction, churn.add_fraction) == (1.0, 0.0)
    assert s.crash.probes == (Probe(1.0, "random"),) and s.crash.monte_carlo == 0
    assert s.strategies == ("crash-hotplug",)


def test_from_dtb_takes_the_machine_from_the_tree(tmp_path):
    dtb = f"{DATA.name}/pseries_power9_smp8_max32.dtb"
    text = f'[scenario]\nduration = "60s"\n[machine]\nfrom_dtb = "{dtb}"\n'
    s = parse(text, "x.toml", DATA.parent)
    m = s.machine
    assert m.from_dtb == (DATA / "pseries_power9_smp8_max32.dtb").resolve()
    assert (m.cpu_model, m.smt, m.cores_present, m.cores_possible) == ("POWER9", 1, 8, 32)
    assert m.memory_bytes == 2 * GIB


def test_memory_possible_is_the_storms_peak_not_their_sum():
    s = parse(
        MINIMAL
        + '[[storm]]\nat = "1s"\naction = "memory-add"\nsize = "4GiB"\nevery = "10ms"\n'
        + '[[storm]]\nat = "10s"\naction = "memory-remove"\nsize = "6GiB"\nevery = "10ms"\n'
        + '[[storm]]\nat = "20s"\naction = "memory-add"\nsize = "2GiB"\nevery = "10ms"\n'
    )
    assert s.machine.memory_possible_bytes == 12 * GIB


def test_rma_defaults_to_memory_when_memory_is_small():
    s = parse(MINIMAL.replace('"8GiB"', '"768MiB"') + '[kdump]\ncrashkernel = "128MiB"\n')
    assert s.machine.rma_bytes == 768 * MIB


def test_with_overrides_changes_only_the_seed():
    s = parse(EXAMPLE)
    t = with_overrides(s, seed=7)
    assert t.seed == 7 and t.storms == s.storms and t.machine == s.machine
    assert with_overrides(s) is s
    with pytest.raises(InputError, match="seed must be an integer"):
        with_overrides(s, seed="x")  # type: ignore[arg-type]


def test_load_raises_the_first_problem_in_file_order(tmp_path):
    path = tmp_path / "two.toml"
    path.write_text(
        MINIMAL.replace("cores_present = 4", "cores_present = 0") + "[crash]\nfoo = 1\n"
    )
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert str(info.value) == f"{path}:5: machine.cores_present: at least one core must be present"
    assert [str(e).split(": ", 1)[1] for e in check_scenario_file(path)] == [
        "machine.cores_present: at least one core must be present",
        "crash.foo: unknown key; known: probes, monte_carlo",
    ]


def test_probe_lines_on_a_multi_line_list(tmp_path):
    text = MINIMAL + '[crash]\nprobes = [\n  { at = "1s" },\n  { at = "2s", cpu = 99 },\n]\n'
    assert errors_of(text, tmp_path) == [
        "t.toml:11: crash.probes[1].cpu: thread 99 is not a possible thread (0 to 63)"
    ]


def test_a_key_in_a_dotted_table_is_found(tmp_path):
    text = MINIMAL + '[kdump.throttler]\nsleep = "1s"\nsettle = "3s"\n'
    assert errors_of(text, tmp_path) == [
        "t.toml:10: kdump.throttler.settle: unknown key; did you mean 'settle_timeout'?"
    ]


def test_jitter_that_could_reorder_an_add_and_a_remove_is_refused(tmp_path):
    # 4 present, 8 possible; 4 adds at 1..4 s, then 7 fast removes from 4.5 s: 8 -> 1 core
    text = MINIMAL + textwrap.dedent(
        """\
        [[storm]]
        at = "1s"
        action = "cpu-add"
        cores = 4
        every = "1s"
        jitter = "0s"
        [[storm]]
        at = "4.5s"
        action = "cpu-remove"
        cores = 7
        every = "100ms"
        """
    )
    assert errors_of(text, tmp_path) == []
    # a 2 s jitter may push the last adds past the removes, which would then take the last core
    assert errors_of(text.replace('jitter = "0s"', 'jitter = "2s"'), tmp_path) == [
        "t.toml:14: storm[1]: cpu-remove of 7 cores would remove the last core: "
        "6 cores present when it starts at 4.5s"
    ]


def test_multiple_problems_in_one_file_are_all_reported(tmp_path):
    text = EXAMPLE.replace("smt = 8", "smt = 6").replace('"20ms"', '"20 ms s"')
    text = text.replace("monte_carlo = 10000", "monte_carlo = -1")
    assert errors_of(text, tmp_path) == [
        "t.toml:8: machine.smt: expected one of 1, 2, 4, 8; got 6",
        "t.toml:32: storm[1].every: bad duration '20 ms s': use a number with us, ms, s, min or h",
        "t.toml:36: crash.monte_carlo: expected 0 to 10000000 samples, got -1",
    ]


def test_validate_only_reads_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(EXAMPLE.replace("cores = 24", "cores = 99"))
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    assert check_scenario_file(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]
