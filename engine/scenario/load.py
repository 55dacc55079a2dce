"""Scenario files (TOML) -> frozen ``Scenario`` dataclasses, with one-line, per-field errors.

A scenario names a machine, a kdump setup, scripted hotplug storms, Poisson churn,
crash probes and the strategies to compare. Every problem is an ``InputError``
reading ``FILE:LINE: dotted.field: reason``; ``check_scenario_file`` returns all of
them, ``load_scenario`` raises the first (in file order).

Keys and defaults (sizes take "512MiB", durations "250ms", see ``engine.units``):

[scenario]  name (file stem), description (""), seed (0, an integer),
            duration (required, > 0).
[machine]   cpu_model ("POWER9"; POWER8/9/10), smt (8; 1, 2, 4, 8), cores_present
            and cores_possible (required), memory (required), memory_block
            ("256MiB", a power of two >= the 16 MiB ppc64 section), memory_max (the
            peak the scripted storms reach; churn stays below it), lpar (true),
            rma ("1GiB", at most memory: typical pseries RMA), thread_online
            ("2ms" between the per-thread online uevents of one core add),
            from_dtb (a DTB, relative to the scenario file: cpu_model, smt, cores
            and memory come from it and may not be given too).
[kdump]     crashkernel ("512MiB"), crash_base (kernel default: min(RMA/2, 512 MiB)
            on an LPAR, 128 MiB cap otherwise), syscall ("kexec_file_load" or
            "kexec_load"), kernel ("40MiB") and initrd ("30MiB") (typical ppc64le
            distribution sizes, not published numbers), purgatory ("64KiB"),
            fdt_hole ("1MiB", the RFC's fixed size; "auto" = sized by the kernel
            formula), bootargs (a kdump capture command line), copy_bandwidth
            ("1GiB/s", copying segments during a load), udev_latency ("5ms": from a
            uevent to its rule's RUN program; an assumption, no source gives it).
[kdump.reload]        unload ("50ms"), load ("uniform(0.5s, 1s)", kdump-utils 227c185).
[kdump.throttler]     sleep ("1s"), settle_timeout ("3s"), kdumpctl_poll ("5s").
[kdump.kernel_update] fixed ("20us"), bandwidth ("3GiB/s"): no published timing, a model:
            fixed + bytes libfdt memmoves / bandwidth (calibrated on libfdt, see bench_fdt).
[[storm]]   at, action (cpu-add | cpu-remove | memory-add | memory-remove), cores (cpu)
            or size / blocks (memory), every (required when more than one), jitter
            ("0s": each event is delayed by uniform(0, jitter)). Or: from_capture (a
            udevadm monitor / journalctl -o json capture, relative to the scenario
            file) and at ("0s"): see engine.scenario.capture.
[[churn]]   start ("0s"), end (the duration), rate ("2/s", "30/min" or a number per
            second), cpu_fraction (0.5), add_fraction (0.5).
[crash]     probes ([]; each { at = "7s", cpu = 3 | "newest" | "random" }, cpu
            defaults to "random"), monte_carlo (10000).
[compare]   strategies (all of ``engine.strategies.STRATEGY_NAMES``).

At least one core and one memory block always stay present.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

from engine.errors import InputError
from engine.scenario.capture_storms import read_captures
from engine.scenario.events import read_churn, read_crash, read_storms
from engine.scenario.kdump import read_kdump
from engine.scenario.machine import read_machine
from engine.scenario.model import (
    ACTIONS,
    CPU_MODELS,
    DEFAULT_BOOTARGS,
    GIB,
    MAX_BLOCKS,
    MAX_CHURN_EVENTS,
    MAX_THREADS,
    MIB,
    PROBE_CPUS,
    SECTION_BYTES,
    SMT_WIDTHS,
    SYSCALLS,
    ChurnSpec,
    CrashSpec,
    KdumpSpec,
    KernelUpdateSpec,
    MachineSpec,
    Probe,
    ReloadSpec,
    Scenario,
    StormPhase,
    ThrottlerSpec,
)
from engine.scenario.reader import Reader, to_int, to_positive_duration, to_str
from engine.strategies import STRATEGY_NAMES
from engine.user_files import read_user_file

__all__ = [
    "ACTIONS",
    "CPU_MODELS",
    "DEFAULT_BOOTARGS",
    "GIB",
    "MAX_BLOCKS",
    "MAX_CHURN_EVENTS",
    "MAX_THREADS",
    "MIB",
    "PROBE_CPUS",
    "SECTION_BYTES",
    "SMT_WIDTHS",
    "SYSCALLS",
    "ChurnSpec",
    "CrashSpec",
    "KdumpSpec",
    "KernelUpdateSpec",
    "MachineSpec",
    "Probe",
    "ReloadSpec",
    "Scenario",
    "StormPhase",
    "ThrottlerSpec",
    "check_scenario_file",
    "load_scenario",
    "parse_scenario",
    "with_overrides",
]

# -- public entry points -------------------------------------------------------------


def load_scenario(path: str | Path, *, capture: str | None = None) -> Scenario:
    """Read and check a scenario file; raises ``InputError`` for the first problem.

    ``capture`` (``run --capture FILE``) replaces the file's scripted storms with
    that capture, replayed from t = 0.
    """
    text = _read_text(path)
    return parse_scenario(text, str(path), Path(path).parent, capture=capture)


def parse_scenario(
    text: str, source: str, base_dir: Path | None = None, *, capture: str | None = None
) -> Scenario:
    """A ``Scenario`` from TOML text; ``source`` names it in errors, ``base_dir`` anchors paths."""
    scenario, errors = _parse(text, source, base_dir, capture)
    if errors or scenario is None:
        raise errors[0]
    return scenario


def check_scenario_file(path: str | Path) -> list[InputError]:
    """Every problem in a scenario file (empty when it is fine). Only reads the file."""
    try:
        text = _read_text(path)
    except InputError as err:
        return [err]
    return _parse(text, str(path), Path(path).parent)[1]


def with_overrides(scenario: Scenario, *, seed: int | None = None) -> Scenario:
    """The same scenario with a different seed (storm jitter, churn, reload draws)."""
    if seed is None:
        return scenario
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError("--seed", f"seed must be an integer, got {seed!r}")
    return dataclasses.replace(scenario, seed=seed)


def _read_text(path: str | Path) -> str:
    data = read_user_file(path, prefix="cannot read: ")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(str(path), "cannot read: not UTF-8 text") from None


# -- the parser ----------------------------------------------------------------------

_TOP = ("scenario", "machine", "kdump", "storm", "churn", "crash", "compare")


def _parse(
    text: str, source: str, base_dir: Path | None, capture: str | None = None
) -> tuple[Scenario | None, list[InputError]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if not found:
            return None, [InputError(source, f"TOML syntax: {message}")]
        reason = f"TOML syntax: {message[: found.start()].strip()} (column {found.group(2)})"
        return None, [InputError(source, reason, line=int(found.group(1)))]
    r = Reader(source, text)
    r.table(data, "", _TOP)
    sc = r.table(data.get("scenario"), "scenario", ("name", "description", "seed", "duration"))
    name = r.get(sc, "scenario", "name", to_str, Path(source).stem)
    description = r.get(sc, "scenario", "description", to_str, "")
    seed = r.get(sc, "scenario", "seed", to_int, 0)
    duration = r.get(sc, "scenario", "duration", to_positive_duration)
    machine = read_machine(r, data, base_dir)
    kdump = read_kdump(r, data, machine)
    if capture is not None:  # run --capture: the capture is the storm
        data = {key: value for key, value in data.items() if key != "storm"}
    storms, peak_bytes = read_storms(r, data, machine, duration)
    captures = read_captures(r, data, machine, duration, base_dir, capture)
    if machine.memory_possible_bytes is None and (peak_bytes is not None or captures):
        block = machine.memory_block_bytes
        peaks = [peak_bytes or 0, *(c.peak_blocks * block for c in captures)]
        machine = dataclasses.replace(machine, memory_possible_bytes=max(peaks))
    churn = read_churn(r, data, duration)
    crash = read_crash(r, data, machine, duration)
    cmp = r.table(data.get("compare"), "compare", ("strategies",))
    strategies = r.get(cmp, "compare", "strategies", _strategies, STRATEGY_NAMES)
    if r.errors:
        return None, sorted(r.errors, key=lambda e: (e.line is None, e.line or 0))
    return Scenario(
        name=name,
        description=description,
        seed=seed,
        duration_s=duration,
        machine=machine,
        kdump=kdump,
        storms=storms,
        captures=captures,
        churn=churn,
        crash=crash,
        strategies=strategies,
        source=source,
    ), []


def _strategies(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a non-empty list of strategy names, got {value!r}")
    for item in value:
        if item not in STRATEGY_NAMES:
            raise ValueError(f"unknown strategy {item!r}; valid: {', '.join(STRATEGY_NAMES)}")
    if len(set(value)) != len(value):
        raise ValueError("a strategy is listed twice")
    return tuple(value)
