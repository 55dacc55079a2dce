"""Scenario files (TOML) -> frozen ``Scenario`` dataclasses, with one-line, per-field errors.

A scenario names a machine, a kdump setup, scripted hotplug storms, Poisson churn,
crash probes and the strategies to compare. Every problem is an ``InputError``
reading ``FILE:LINE: dotted.field: reason``; ``check_scenario_file`` returns all of
them, ``load_scenario`` raises the first (in file order).

Every key, its type, default, unit and meaning is declared once, in
``engine.scenario.schema``; the reference docs/scenario_keys.md is rendered from it.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

from engine.errors import InputError, quote
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
    MAX_SCENARIO_BYTES,
    MAX_STORM_EVENTS,
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
    UdevSpec,
)
from engine.scenario.names import STRATEGY_NAMES  # not engine.strategies: validate stays light
from engine.scenario.reader import Reader
from engine.scenario.schema import TOP_LEVEL
from engine.scenario.udev import read_udev
from engine.user_files import read_user_file

__all__ = [
    "ACTIONS",
    "CPU_MODELS",
    "DEFAULT_BOOTARGS",
    "GIB",
    "MAX_BLOCKS",
    "MAX_CHURN_EVENTS",
    "MAX_STORM_EVENTS",
    "MAX_SCENARIO_BYTES",
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
    "UdevSpec",
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
        raise InputError("--seed", f"seed must be an integer, got {quote(seed)}")
    return dataclasses.replace(scenario, seed=seed)


def _read_text(path: str | Path) -> str:
    data = read_user_file(path, max_bytes=MAX_SCENARIO_BYTES, prefix="cannot read: ")
    if len(data) > MAX_SCENARIO_BYTES:
        raise InputError(
            str(path), f"cannot read: larger than {MAX_SCENARIO_BYTES} bytes, not a scenario"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(str(path), "cannot read: not UTF-8 text") from None


# -- the parser ----------------------------------------------------------------------


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
    except ValueError as err:  # tomllib: an integer past sys.get_int_max_str_digits()
        return None, [InputError(source, f"TOML value: {quote(str(err))}")]
    except RecursionError:
        return None, [InputError(source, "TOML syntax: arrays or tables nested too deeply")]
    r = Reader(source, text)
    r.table(data, "", TOP_LEVEL)
    sc = r.section(data.get("scenario"), "scenario")
    name = r.field(sc, "scenario", "name", Path(source).stem)
    description = r.field(sc, "scenario", "description")
    seed = r.field(sc, "scenario", "seed")
    duration = r.field(sc, "scenario", "duration")
    machine = read_machine(r, data, base_dir)
    kdump = read_kdump(r, data, machine)
    udev = read_udev(r, data)
    if capture is not None:  # run --capture: the capture is the storm
        data = {key: value for key, value in data.items() if key != "storm"}
    storms, peak_bytes = read_storms(r, data, machine, duration)
    captures = read_captures(r, data, machine, duration, base_dir, capture)
    if machine.memory_possible_bytes is None and (peak_bytes is not None or captures):
        block = machine.memory_block_bytes
        peaks = [peak_bytes or 0, *(c.peak_blocks * block for c in captures)]
        machine = dataclasses.replace(machine, memory_possible_bytes=max(peaks))
    churn = read_churn(r, data, duration)
    _check_event_total(r, storms, captures, churn)
    crash = read_crash(r, data, machine, duration)
    cmp = r.section(data.get("compare"), "compare")
    strategies = r.field(cmp, "compare", "strategies", STRATEGY_NAMES)
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
        udev=udev,
        strategies=strategies,
        source=source,
    ), []


def _check_event_total(r: Reader, storms: tuple, captures: tuple, churn: tuple) -> None:
    """All phases together stay under ``MAX_STORM_EVENTS`` (churn counted as expected)."""
    total = (
        sum(p.count for p in storms)
        + sum(len(c.steps) for c in captures)
        + sum(c.rate_per_s * (c.end_s - c.start_s) for c in churn)
    )
    if total > MAX_STORM_EVENTS:
        r.error(
            "storm" if storms or captures else "churn",
            f"about {total:.0f} hotplug events in all (storms and churn together), more than "
            f"the cap of {MAX_STORM_EVENTS} events a scenario may have",
        )
