"""The timed parts of a scenario: [[storm]] phases, [[churn]] and [crash] probes."""

from __future__ import annotations

from typing import Any

from engine.errors import quote
from engine.scenario.checks import check_storm_counts
from engine.scenario.model import (
    MAX_BLOCKS,
    MAX_CHURN_EVENTS,
    PROBE_CPUS,
    ChurnSpec,
    CrashSpec,
    MachineSpec,
    Probe,
    StormPhase,
)
from engine.scenario.reader import REQUIRED, Reader
from engine.scenario.schema import SCHEMA
from engine.units import format_size

STORM_KEYS = SCHEMA["storm"].known
CHURN_KEYS = SCHEMA["churn"].known


def _array(r: Reader, data: dict[str, Any], name: str) -> list[tuple[str, dict[str, Any]]]:
    raw = data.get(name)
    if raw is None:
        return []
    if not isinstance(raw, list):
        r.error(name, f"use [[{name}]] tables (an array of tables), not {name} = ... or [{name}]")
        return []
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, dict):
            out.append((f"{name}[{i}]", item))
        else:
            r.error(f"{name}[{i}]", f"expected a table, got {quote(item)}")
    return out


def read_storms(
    r: Reader, data: dict[str, Any], machine: MachineSpec, duration: float | None
) -> tuple[tuple[StormPhase, ...], int | None]:
    """The scripted phases, and the peak memory they can reach (None when unknown)."""
    phases = []
    block = machine.memory_block_bytes
    for i, (w, raw) in enumerate(_array(r, data, "storm")):
        if "from_capture" in raw:
            continue  # a captured storm: engine.scenario.capture_storms reads it
        t = r.section(raw, w)
        at = r.field(t, w, "at")
        action = r.field(t, w, "action")
        count = None
        threads = None
        if action != "smt" and "threads" in t:
            r.error(f"{w}.threads", f"is for smt storms; a {action} storm does not take it")
        if action == "smt":
            # ppc64_cpu --smt=N: one switch, `every` apart between its per-thread steps
            for key in ("cores", "size", "blocks"):
                if key in t:
                    r.error(f"{w}.{key}", "an smt storm takes threads, not cores or memory")
            threads = r.field(t, w, "threads", REQUIRED)
            if threads is not None and machine.smt is not None and threads > machine.smt:
                r.error(
                    f"{w}.threads",
                    f"{threads} threads per core: more than the machine's SMT{machine.smt}",
                )
            count = 1
        elif action in ("cpu-add", "cpu-remove"):
            for key in ("size", "blocks"):
                if key in t:
                    r.error(f"{w}.{key}", f"is for memory storms; a {action} storm takes cores")
            count = r.field(t, w, "cores", REQUIRED)
        elif action is not None:
            if "cores" in t:
                r.error(f"{w}.cores", f"is for cpu storms; a {action} storm takes size or blocks")
            if "size" in t and "blocks" in t:
                r.error(f"{w}.blocks", "give size or blocks, not both")
            elif "blocks" in t:
                count = r.field(t, w, "blocks", REQUIRED)
            else:
                size = r.field(t, w, "size", REQUIRED)
                if size is not None and block is not None:
                    if size % block:
                        r.error(
                            f"{w}.size",
                            f"{format_size(size)} is not a whole number of "
                            f"memory blocks (machine.memory_block = {format_size(block)})",
                        )
                    else:
                        count = size // block
        many = count is not None and count > 1
        if many and "every" not in t:
            r.error(f"{w}.every", f"required: {count} events need a spacing, e.g. every = '250ms'")
        every = r.field(t, w, "every", machine.thread_online_s if action == "smt" else 0.0)
        jitter = r.field(t, w, "jitter")
        if many and every == 0 and "every" in t:
            r.error(f"{w}.every", "must be above zero: hotplug adds and removes one at a time")
        if count is not None and count > MAX_BLOCKS:
            r.error(w, f"{count} events: more than {MAX_BLOCKS}")
        if None in (at, action, count, every, jitter) or not every and many:
            continue
        if action == "smt" and threads is None:
            continue
        phase = StormPhase(i, at, action, count, every, jitter, r.lines.find(w), threads)  # type: ignore[arg-type]
        if duration is not None and phase.at_s >= duration:
            r.error(
                f"{w}.at",
                f"{phase.at_s:g}s is not before the end (scenario.duration = {duration:g}s)",
            )
        elif duration is not None and phase.last_s > duration:
            r.error(
                f"{w}.every" if many else f"{w}.jitter",
                f"the last event, at up to "
                f"{phase.last_s:g}s, falls past the end (scenario.duration = {duration:g}s)",
            )
        phases.append(phase)
    return tuple(phases), check_storm_counts(r, phases, machine)


def read_churn(r: Reader, data: dict[str, Any], duration: float | None) -> tuple[ChurnSpec, ...]:
    out = []
    for i, (w, raw) in enumerate(_array(r, data, "churn")):
        t = r.section(raw, w)
        start = r.field(t, w, "start")
        end = r.field(t, w, "end", duration)
        rate = r.field(t, w, "rate")
        cpu = r.field(t, w, "cpu_fraction")
        add = r.field(t, w, "add_fraction")
        if None in (start, end, rate, cpu, add):
            continue
        assert start is not None and end is not None and rate is not None
        if end <= start:
            r.error(f"{w}.end", f"{end:g}s is not after start ({start:g}s)")
        elif duration is not None and end > duration:
            r.error(f"{w}.end", f"{end:g}s is past the end (scenario.duration = {duration:g}s)")
        elif rate * (end - start) > MAX_CHURN_EVENTS:
            r.error(
                f"{w}.rate",
                f"about {rate * (end - start):.0f} events expected, more than {MAX_CHURN_EVENTS}",
            )
        out.append(ChurnSpec(i, start, end, rate, cpu, add))  # type: ignore[arg-type]
    return tuple(out)


def read_crash(
    r: Reader, data: dict[str, Any], machine: MachineSpec, duration: float | None
) -> CrashSpec:
    w = "crash"
    c = r.section(data.get(w), w)
    monte_carlo = r.field(c, w, "monte_carlo")
    if monte_carlo is not None and not 0 <= monte_carlo <= 10_000_000:
        r.error("crash.monte_carlo", f"expected 0 to 10000000 samples, got {monte_carlo}")
    raw = c.get("probes", [])
    if not isinstance(raw, list):
        r.error("crash.probes", f"expected a list of {{ at = ..., cpu = ... }}, got {quote(raw)}")
        raw = []
    threads = (
        machine.threads_possible if None not in (machine.cores_possible, machine.smt) else None
    )
    probes = []
    for i, item in enumerate(raw):
        pw = f"crash.probes[{i}]"
        if not isinstance(item, dict):
            r.error(pw, f"expected {{ at = ..., cpu = ... }}, got {quote(item)}")
            continue
        p = r.section(item, pw)
        at = r.field(p, pw, "at")
        cpu = r.field(p, pw, "cpu")
        if at is not None and duration is not None and at > duration:
            r.error(f"{pw}.at", f"{at:g}s is past the end (scenario.duration = {duration:g}s)")
        if cpu not in PROBE_CPUS and (isinstance(cpu, bool | str) or not isinstance(cpu, int)):
            r.error(
                f"{pw}.cpu", f"expected a thread number, 'newest' or 'random'; got {quote(cpu)}"
            )
        elif isinstance(cpu, int) and threads is not None and not_possible_thread(cpu, threads):
            r.error(f"{pw}.cpu", not_possible_thread(cpu, threads) or "")
        elif at is not None:
            probes.append(Probe(at, cpu))
    return CrashSpec(tuple(probes), monte_carlo if monte_carlo is not None else 10000)


def not_possible_thread(cpu: int, threads_possible: int) -> str | None:
    """Why ``cpu`` cannot be crashed on (the same words for a scenario file and the TUI)."""
    if 0 <= cpu < threads_possible:
        return None
    return f"thread {cpu} is not a possible thread (0 to {threads_possible - 1})"
