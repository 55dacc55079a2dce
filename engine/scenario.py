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
            ("0s": each event is delayed by uniform(0, jitter)).
[[churn]]   start ("0s"), end (the duration), rate ("2/s", "30/min" or a number per
            second), cpu_fraction (0.5), add_fraction (0.5).
[crash]     probes ([]; each { at = "7s", cpu = 3 | "newest" | "random" }, cpu
            defaults to "random"), monte_carlo (10000).
[compare]   strategies (all of ``STRATEGIES``).

At least one core and one memory block always stay present.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.crash_region import default_crash_base, plan_crash_region
from engine.errors import InputError
from engine.units import Duration, format_size, parse_distribution, parse_duration, parse_size

STRATEGIES = ("udev-reload", "udev-throttled", "udev-load-once", "fdt-hole", "crash-hotplug")
CPU_MODELS = ("POWER8", "POWER9", "POWER10")
SMT_WIDTHS = (1, 2, 4, 8)
ACTIONS = ("cpu-add", "cpu-remove", "memory-add", "memory-remove")
SYSCALLS = ("kexec_file_load", "kexec_load")
PROBE_CPUS = ("newest", "random")
MAX_THREADS = 8192  # NR_CPUS ceiling of ppc64 kernels
MAX_BLOCKS = 1 << 20
MAX_CHURN_EVENTS = 100_000
SECTION_BYTES = 16 << 20  # ppc64 memory section: the smallest memory block
DEFAULT_BOOTARGS = (
    "irqpoll maxcpus=1 noirqdistrib reset_devices cgroup_disable=memory numa=off "
    "udev.children-max=2 ehea.use_mcs=0 panic=10 kvm_cma_resv_ratio=0 "
    "transparent_hugepage=never novmcoredd hugetlb_cma=0"
)
MIB = 1 << 20
GIB = 1 << 30


@dataclass(frozen=True)
class MachineSpec:
    cores_present: int
    cores_possible: int
    memory_bytes: int
    memory_possible_bytes: int
    cpu_model: str = "POWER9"
    smt: int = 8
    memory_block_bytes: int = 256 * MIB
    from_dtb: Path | None = None
    lpar: bool = True
    rma_bytes: int = GIB
    thread_online_s: float = 0.002

    @property
    def threads_possible(self) -> int:
        return self.cores_possible * self.smt


@dataclass(frozen=True)
class ReloadSpec:
    unload: Duration = Duration("fixed", 0.05)
    load: Duration = Duration("uniform", 0.5, 1.0)


@dataclass(frozen=True)
class ThrottlerSpec:
    sleep_s: float = 1.0
    settle_timeout_s: float = 3.0
    kdumpctl_poll_s: float = 5.0


@dataclass(frozen=True)
class KernelUpdateSpec:
    fixed_s: float = 20e-6
    # calibrated on libfdt itself: benchmarks/bench_fdt.py's literal update_cpus_node
    # at 256 SMT8 cores moves ~770 MB in ~250 ms, about 3 GB/s
    bandwidth_bytes_per_s: float = 3.0 * GIB


@dataclass(frozen=True)
class KdumpSpec:
    crashkernel_bytes: int = 512 * MIB
    crash_base_bytes: int | None = None
    syscall: str = "kexec_file_load"
    kernel_bytes: int = 40 * MIB
    initrd_bytes: int = 30 * MIB
    purgatory_bytes: int = 64 << 10
    fdt_hole_bytes: int | None = MIB  # None = "auto"
    reload: ReloadSpec = field(default_factory=ReloadSpec)
    throttler: ThrottlerSpec = field(default_factory=ThrottlerSpec)
    kernel_update: KernelUpdateSpec = field(default_factory=KernelUpdateSpec)
    bootargs: str = DEFAULT_BOOTARGS
    copy_bandwidth_bytes_per_s: float = 1.0 * GIB
    udev_latency_s: float = 0.005


@dataclass(frozen=True)
class StormPhase:
    index: int
    at_s: float
    action: str
    count: int  # cores, or memory blocks
    every_s: float
    jitter_s: float = 0.0
    line: int | None = None

    @property
    def last_s(self) -> float:
        """Latest possible time of the phase's last event."""
        return self.at_s + (self.count - 1) * self.every_s + self.jitter_s


@dataclass(frozen=True)
class ChurnSpec:
    index: int
    start_s: float
    end_s: float
    rate_per_s: float
    cpu_fraction: float = 0.5
    add_fraction: float = 0.5


@dataclass(frozen=True)
class Probe:
    at_s: float
    cpu: int | str  # thread id, "newest" or "random"


@dataclass(frozen=True)
class CrashSpec:
    probes: tuple[Probe, ...] = ()
    monte_carlo: int = 10000


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: int
    duration_s: float
    machine: MachineSpec
    kdump: KdumpSpec
    storms: tuple[StormPhase, ...] = ()
    churn: tuple[ChurnSpec, ...] = ()
    crash: CrashSpec = field(default_factory=CrashSpec)
    strategies: tuple[str, ...] = STRATEGIES
    source: str = "<scenario>"
    description: str = ""


# -- public entry points -------------------------------------------------------------


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; raises ``InputError`` for the first problem."""
    text = _read_text(path)
    return parse_scenario(text, str(path), Path(path).parent)


def parse_scenario(text: str, source: str, base_dir: Path | None = None) -> Scenario:
    """A ``Scenario`` from TOML text; ``source`` names it in errors, ``base_dir`` anchors paths."""
    scenario, errors = _parse(text, source, base_dir)
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
    source = str(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(source, "cannot read: no such file") from None
    except IsADirectoryError:
        raise InputError(source, "cannot read: is a directory") from None
    except UnicodeDecodeError:
        raise InputError(source, "cannot read: not UTF-8 text") from None
    except OSError as err:
        raise InputError(source, f"cannot read: {err.strerror or err}") from None


# -- line numbers --------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]#]+?)\s*\]")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*[.=]""")
_INDEXED = re.compile(r"^(.*)\[(\d+)\]$")


class _Lines:
    """Finds the line of a dotted field by scanning for table headers and ``key =``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for match in re.finditer("\n", text):
            self.starts.append(match.end())
        self.tables: dict[tuple[str, ...], tuple[int | None, dict[str, int]]] = {(): (None, {})}
        arrays: dict[tuple[str, ...], int] = {}
        keys = self.tables[()][1]
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                parts = tuple(p.strip().strip("\"'") for p in header.group(2).split("."))
                if header.group(1) == "[[":
                    n = arrays.get(parts, 0)
                    arrays[parts] = n + 1
                    parts = (*parts[:-1], f"{parts[-1]}[{n}]")
                keys = {}
                self.tables.setdefault(parts, (number, keys))
                continue
            key = _KEY.match(line)
            if key:
                keys.setdefault(key.group(1).strip("\"'"), number)

    def find(self, where: str) -> int | None:
        parts = where.split(".") if where else []
        for cut in range(len(parts), -1, -1):
            table = self.tables.get(tuple(parts[:cut]))
            if table is None:
                continue
            header_line, keys = table
            if cut == len(parts):
                return header_line
            indexed = _INDEXED.match(parts[cut])
            name = indexed.group(1) if indexed else parts[cut]
            line = keys.get(name)
            if line is None:
                return header_line
            if indexed:  # an element of an inline array: count '{' from the key
                return self._nth_brace(line, int(indexed.group(2))) or line
            return line
        return None

    def _nth_brace(self, line: int, n: int) -> int | None:
        pos = self.starts[line - 1] - 1
        for _ in range(n + 1):
            pos = self.text.find("{", pos + 1)
            if pos < 0:
                return None
        return self.text.count("\n", 0, pos) + 1


# -- field readers -------------------------------------------------------------------

_REQUIRED: Any = object()


class _Reader:
    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.lines = _Lines(text)
        self.errors: list[InputError] = []
        self.failed: set[str] = set()

    def error(self, where: str, reason: str) -> None:
        self.failed.add(where)
        self.errors.append(
            InputError(self.source, reason, where=where, line=self.lines.find(where))
        )

    def table(self, value: object, where: str, known: tuple[str, ...]) -> dict[str, Any]:
        """``value`` as a table, after reporting its unknown keys."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(where, f"expected a table, got {value!r}")
            return {}
        for key in value:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
                kind = "table" if isinstance(value[key], dict | list) and not where else "key"
                self.error(_join(where, key), f"unknown {kind}; {hint}")
        return value

    def get(
        self,
        tbl: dict[str, Any],
        where: str,
        key: str,
        convert: Callable[[Any], Any],
        default: Any = _REQUIRED,
    ) -> Any:
        """The converted value, the default when absent, ``None`` after reporting an error.

        Typed ``Any``: a ``None`` from an error never reaches a ``Scenario``, since any
        error stops the build.
        """
        path = _join(where, key)
        if key not in tbl:
            if default is _REQUIRED:
                self.error(path, "required key is missing")
                return None
            return default
        try:
            return convert(tbl[key])
        except ValueError as err:
            self.error(path, str(err))
            return None


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _choice(choices: tuple[str, ...]) -> Callable[[object], str]:
    def convert(value: object) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}; got {value!r}")
        return str(value)

    return convert


def _fraction(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"expected a number from 0 to 1, got {value!r}")
    return float(value)


def _positive_size(value: object) -> int:
    size = parse_size(value)
    if size <= 0:
        raise ValueError("must be above zero")
    return size


def _positive_duration(value: object) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError("must be above zero")
    return seconds


def _hole(value: object) -> int | None:
    return None if value == "auto" else _positive_size(value)


_PER = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0}


def _rate(value: object) -> float:
    """Events per second from ``2``, ``"2/s"``, ``"30/min"``."""
    if isinstance(value, str) and "/" in value:
        number, _, unit = value.partition("/")
        if unit.strip() not in _PER:
            raise ValueError(f"bad rate {value!r}: use a number per s, min or h, e.g. '2/s'")
        try:
            per_s = float(number) / _PER[unit.strip()]
        except ValueError:
            raise ValueError(f"bad rate {value!r}: use e.g. '2/s'") from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        per_s = float(value)
    else:
        raise ValueError(f"bad rate {value!r}: use e.g. '2/s'")
    if not math.isfinite(per_s) or per_s <= 0:
        raise ValueError("rate must be above zero")
    return per_s


def _bandwidth(value: object) -> float:
    """Bytes per second from ``"2GiB/s"`` or a plain number of bytes per second."""
    text = value[:-2] if isinstance(value, str) and value.endswith("/s") else value
    per_s = parse_size(text)
    if per_s <= 0:
        raise ValueError(f"bandwidth must be above zero, e.g. '1GiB/s', got {value!r}")
    return float(per_s)


# -- the parser ----------------------------------------------------------------------

_TOP = ("scenario", "machine", "kdump", "storm", "churn", "crash", "compare")
_MACHINE = (
    "cpu_model",
    "smt",
    "cores_present",
    "cores_possible",
    "memory",
    "memory_block",
    "memory_max",
    "lpar",
    "rma",
    "thread_online",
    "from_dtb",
)
_FROM_DTB = ("cpu_model", "smt", "cores_present", "cores_possible", "memory")
_KDUMP = (
    "crashkernel",
    "crash_base",
    "syscall",
    "kernel",
    "initrd",
    "purgatory",
    "fdt_hole",
    "reload",
    "throttler",
    "kernel_update",
    "bootargs",
    "copy_bandwidth",
    "udev_latency",
)
_STORM = ("at", "action", "cores", "size", "blocks", "every", "jitter")
_CHURN = ("start", "end", "rate", "cpu_fraction", "add_fraction")


def _parse(
    text: str, source: str, base_dir: Path | None
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
    r = _Reader(source, text)
    r.table(data, "", _TOP)
    sc = r.table(data.get("scenario"), "scenario", ("name", "description", "seed", "duration"))
    name = r.get(sc, "scenario", "name", _str, Path(source).stem)
    description = r.get(sc, "scenario", "description", _str, "")
    seed = r.get(sc, "scenario", "seed", _int, 0)
    duration = r.get(sc, "scenario", "duration", _positive_duration)
    machine = _machine(r, data, base_dir)
    kdump = _kdump(r, data, machine)
    storms, peak_bytes = _storms(r, data, machine, duration)
    if machine.memory_possible_bytes is None and peak_bytes is not None:
        machine = dataclasses.replace(machine, memory_possible_bytes=peak_bytes)
    churn = _churn(r, data, duration)
    crash = _crash(r, data, machine, duration)
    cmp = r.table(data.get("compare"), "compare", ("strategies",))
    strategies = r.get(cmp, "compare", "strategies", _strategies, STRATEGIES)
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
        churn=churn,
        crash=crash,
        strategies=strategies,
        source=source,
    ), []


def _strategies(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a non-empty list of strategy names, got {value!r}")
    for item in value:
        if item not in STRATEGIES:
            raise ValueError(f"unknown strategy {item!r}; valid: {', '.join(STRATEGIES)}")
    if len(set(value)) != len(value):
        raise ValueError("a strategy is listed twice")
    return tuple(value)


def _machine(r: _Reader, data: dict[str, Any], base_dir: Path | None) -> Any:
    w = "machine"
    m = r.table(data.get(w), w, _MACHINE)
    if w not in data:
        r.error(w, "required table [machine] is missing")
    from_dtb = r.get(m, w, "from_dtb", _str, None)
    dtb: dict[str, Any] = {}
    if from_dtb is not None:
        dtb_path = ((base_dir or Path.cwd()) / from_dtb).resolve()
        for key in _FROM_DTB:
            if key in m:
                r.error(_join(w, key), "comes from machine.from_dtb; remove it")
        try:
            dtb = _read_dtb(dtb_path)
        except InputError as err:
            r.error(_join(w, "from_dtb"), err.reason)
    need = _REQUIRED if from_dtb is None and w in data else None
    model = dtb.get("cpu_model") or r.get(m, w, "cpu_model", _choice(CPU_MODELS), "POWER9")
    smt = dtb.get("smt") or r.get(m, w, "smt", _choice_int(SMT_WIDTHS), 8)
    present = dtb.get("cores_present") or r.get(m, w, "cores_present", _int, need)
    possible = dtb.get("cores_possible") or r.get(m, w, "cores_possible", _int, need)
    memory = dtb.get("memory_bytes") or r.get(m, w, "memory", _positive_size, need)
    block = r.get(m, w, "memory_block", _positive_size, 256 * MIB)
    memory_max = r.get(m, w, "memory_max", _positive_size, None)
    lpar = r.get(m, w, "lpar", _bool, True)
    rma = r.get(m, w, "rma", _positive_size, None)
    thread_online = r.get(m, w, "thread_online", parse_duration, 0.002)
    if present is not None and present < 1:
        r.error(_join(w, "cores_present"), "at least one core must be present")
    if possible is not None and present is not None and present > possible:
        r.error(
            _join(w, "cores_present"), f"{present} cores present but cores_possible is {possible}"
        )
    if possible is not None and smt is not None and possible * smt > MAX_THREADS:
        r.error(
            _join(w, "cores_possible"),
            f"{possible} cores x SMT{smt} = {possible * smt} threads, above the "
            f"{MAX_THREADS} a ppc64 kernel supports (NR_CPUS)",
        )
    if block is not None and (block & (block - 1) or block < SECTION_BYTES):
        r.error(_join(w, "memory_block"), "must be a power of two, at least 16 MiB (ppc64 section)")
        block = None
    for key, size in (("memory", memory), ("memory_max", memory_max)):
        if size is not None and block is not None and size % block:
            r.error(
                _join(w, key),
                f"{format_size(size)} is not a whole number of memory blocks "
                f"({format_size(block)})",
            )
    if memory_max is not None and memory is not None and memory_max < memory:
        r.error(_join(w, "memory_max"), f"below machine.memory ({format_size(memory)})")
    if memory_max is not None and block is not None and memory_max // block > MAX_BLOCKS:
        r.error(_join(w, "memory_max"), f"more than {MAX_BLOCKS} memory blocks")
    if rma is None and memory is not None:
        rma = min(GIB, memory)
    elif rma is not None and memory is not None and rma > memory:
        r.error(_join(w, "rma"), f"larger than machine.memory ({format_size(memory)})")
    return MachineSpec(
        cpu_model=model,
        smt=smt,
        cores_present=present,
        cores_possible=possible,
        memory_bytes=memory,
        memory_block_bytes=block,
        memory_possible_bytes=memory_max,
        from_dtb=None if from_dtb is None else dtb_path,
        lpar=lpar,
        rma_bytes=rma,
        thread_online_s=thread_online,
    )


def _choice_int(choices: tuple[int, ...]) -> Callable[[object], int]:
    def convert(value: object) -> int:
        if _int(value) not in choices:
            raise ValueError(f"expected one of {', '.join(map(str, choices))}; got {value!r}")
        return int(value)  # type: ignore[call-overload]

    return convert


def _read_dtb(path: Path) -> dict[str, Any]:
    """Model, SMT width, cores and memory of a pseries DTB (a loose read via libfdt)."""
    from engine.dtb_check import check_dtb, read_dtb_file

    blob = read_dtb_file(path)
    check_dtb(blob, str(path))
    import libfdt

    quiet_nf = (libfdt.NOTFOUND,)
    try:
        fdt = libfdt.Fdt(blob)
        cpus = fdt.path_offset("/cpus")
        cores, model, smt, node = 0, None, None, fdt.first_subnode(cpus, quiet=quiet_nf)
        while node >= 0:
            if fdt.getprop(node, "device_type", quiet=quiet_nf) == b"cpu\0":
                cores += 1
                model = model or fdt.get_name(node).split(",")[-1].split("@")[0]
                servers = fdt.getprop(node, "ibm,ppc-interrupt-server#s")
                smt = smt or len(servers) // 4
            node = fdt.next_subnode(node, quiet=quiet_nf)
        drc = fdt.getprop(cpus, "ibm,drc-indexes", quiet=quiet_nf)
        possible = int.from_bytes(drc[:4], "big") if drc else cores
        memory, node = 0, fdt.first_subnode(0, quiet=quiet_nf)
        while node >= 0:
            if fdt.get_name(node).startswith("memory@"):
                reg = bytes(fdt.getprop(node, "reg"))
                memory += sum(
                    int.from_bytes(reg[i + 8 : i + 16], "big") for i in range(0, len(reg), 16)
                )
            node = fdt.next_subnode(node, quiet=quiet_nf)
    except libfdt.FdtException as err:
        raise InputError(
            str(path), f"cannot read the pseries /cpus and /memory nodes: {err}"
        ) from None
    if model not in CPU_MODELS or smt not in SMT_WIDTHS or not cores or not memory:
        raise InputError(
            str(path),
            f"not a pseries POWER8/9/10 tree (model {model}, SMT {smt}, "
            f"{cores} cores, {memory} bytes of memory)",
        )
    return {
        "cpu_model": model,
        "smt": smt,
        "cores_present": cores,
        "cores_possible": max(possible, cores),
        "memory_bytes": memory,
    }


def _kdump(r: _Reader, data: dict[str, Any], machine: MachineSpec) -> KdumpSpec:
    w = "kdump"
    k = r.table(data.get(w), w, _KDUMP)
    crashkernel = r.get(k, w, "crashkernel", _positive_size, 512 * MIB)
    base = r.get(k, w, "crash_base", parse_size, None)
    kernel = r.get(k, w, "kernel", _positive_size, 40 * MIB)
    initrd = r.get(k, w, "initrd", parse_size, 30 * MIB)
    purgatory = r.get(k, w, "purgatory", _positive_size, 64 << 10)
    hole = r.get(k, w, "fdt_hole", _hole, MIB)
    wr, wt, wu = "kdump.reload", "kdump.throttler", "kdump.kernel_update"
    rl = r.table(k.get("reload"), wr, ("unload", "load"))
    th = r.table(k.get("throttler"), wt, ("sleep", "settle_timeout", "kdumpctl_poll"))
    ku = r.table(k.get("kernel_update"), wu, ("fixed", "bandwidth"))
    spec = KdumpSpec(
        crashkernel_bytes=crashkernel,
        crash_base_bytes=base,
        kernel_bytes=kernel,
        initrd_bytes=initrd,
        purgatory_bytes=purgatory,
        fdt_hole_bytes=hole,
        syscall=r.get(k, w, "syscall", _choice(SYSCALLS), "kexec_file_load"),
        reload=ReloadSpec(
            unload=r.get(rl, wr, "unload", parse_distribution, Duration("fixed", 0.05)),
            load=r.get(rl, wr, "load", parse_distribution, Duration("uniform", 0.5, 1.0)),
        ),
        throttler=ThrottlerSpec(
            sleep_s=r.get(th, wt, "sleep", parse_duration, 1.0),
            settle_timeout_s=r.get(th, wt, "settle_timeout", parse_duration, 3.0),
            kdumpctl_poll_s=r.get(th, wt, "kdumpctl_poll", _positive_duration, 5.0),
        ),
        kernel_update=KernelUpdateSpec(
            fixed_s=r.get(ku, wu, "fixed", parse_duration, 20e-6),
            bandwidth_bytes_per_s=r.get(ku, wu, "bandwidth", _bandwidth, 3.0 * GIB),
        ),
        bootargs=r.get(k, w, "bootargs", _str, DEFAULT_BOOTARGS),
        copy_bandwidth_bytes_per_s=r.get(k, w, "copy_bandwidth", _bandwidth, 1.0 * GIB),
        udev_latency_s=r.get(k, w, "udev_latency", parse_duration, 0.005),
    )
    sizes = (crashkernel, kernel, initrd, purgatory, machine.rma_bytes, machine.memory_bytes)
    if any(x is None for x in sizes) or {"kdump.crash_base", "kdump.fdt_hole"} & r.failed:
        return spec
    assert crashkernel is not None and kernel is not None and initrd is not None
    assert purgatory is not None
    if hole is not None and hole > crashkernel:
        r.error(
            "kdump.fdt_hole",
            f"FDT hole of {format_size(hole)} is larger than the "
            f"crashkernel region ({format_size(crashkernel)})",
        )
        return spec
    segments = kernel + initrd + purgatory
    if segments > crashkernel:
        r.error(
            "kdump.crashkernel",
            f"kernel {format_size(kernel)} + initrd "
            f"{format_size(initrd)} + purgatory {format_size(purgatory)} = "
            f"{format_size(segments)} do not fit in the crashkernel region of "
            f"{format_size(crashkernel)}",
        )
        return spec
    start = default_crash_base(machine.rma_bytes, machine.lpar) if base is None else base
    if start + crashkernel > machine.memory_bytes:
        r.error(
            "kdump.crashkernel",
            f"the region at {format_size(start)} + "
            f"{format_size(crashkernel)} ends past machine.memory "
            f"({format_size(machine.memory_bytes)})",
        )
        return spec
    try:
        plan_crash_region(
            crashkernel_bytes=crashkernel,
            base=base,
            rma_bytes=machine.rma_bytes,
            lpar=machine.lpar,
            kernel_bytes=kernel,
            initrd_bytes=initrd,
            purgatory_bytes=purgatory,
            elfcorehdr_bytes=0,
            fdt_bytes=0,
            hole_bytes=hole,
        )
    except InputError as err:
        if err.reason.startswith("FDT hole") and "fdt_hole" in k:
            r.error("kdump.fdt_hole", err.reason)
        else:
            r.error("kdump.crash_base" if "crash_base" in k else "kdump.crashkernel", err.reason)
    return spec


def _positive_int(value: object) -> int:
    if _int(value) < 1:
        raise ValueError(f"must be at least 1, got {value!r}")
    return int(value)  # type: ignore[call-overload]


def _array(r: _Reader, data: dict[str, Any], name: str) -> list[tuple[str, dict[str, Any]]]:
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
            r.error(f"{name}[{i}]", f"expected a table, got {item!r}")
    return out


def _storms(
    r: _Reader, data: dict[str, Any], machine: MachineSpec, duration: float | None
) -> tuple[tuple[StormPhase, ...], int | None]:
    """The scripted phases, and the peak memory they can reach (None when unknown)."""
    phases = []
    block = machine.memory_block_bytes
    for i, (w, raw) in enumerate(_array(r, data, "storm")):
        t = r.table(raw, w, _STORM)
        at = r.get(t, w, "at", parse_duration)
        action = r.get(t, w, "action", _choice(ACTIONS))
        count = None
        if action in ("cpu-add", "cpu-remove"):
            for key in ("size", "blocks"):
                if key in t:
                    r.error(f"{w}.{key}", f"is for memory storms; a {action} storm takes cores")
            count = r.get(t, w, "cores", _positive_int)
        elif action is not None:
            if "cores" in t:
                r.error(f"{w}.cores", f"is for cpu storms; a {action} storm takes size or blocks")
            if "size" in t and "blocks" in t:
                r.error(f"{w}.blocks", "give size or blocks, not both")
            elif "blocks" in t:
                count = r.get(t, w, "blocks", _positive_int)
            else:
                size = r.get(t, w, "size", _positive_size)
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
        every = r.get(t, w, "every", parse_duration, 0.0)
        jitter = r.get(t, w, "jitter", parse_duration, 0.0)
        if many and every == 0 and "every" in t:
            r.error(f"{w}.every", "must be above zero: hotplug adds and removes one at a time")
        if count is not None and count > MAX_BLOCKS:
            r.error(w, f"{count} events: more than {MAX_BLOCKS}")
        if None in (at, action, count, every, jitter) or not every and many:
            continue
        phase = StormPhase(i, at, action, count, every, jitter, r.lines.find(w))  # type: ignore[arg-type]
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
    if r.failed & {
        "machine.cores_present",
        "machine.cores_possible",
        "machine.memory",
        "machine.memory_max",
        "machine.memory_block",
    } or any(f.startswith("storm") for f in r.failed):
        return tuple(phases), None
    peak = None
    if machine.cores_present is not None and machine.cores_possible is not None:
        _check_counts(r, phases, "cpu", machine.cores_present, machine.cores_possible, None)
    if machine.memory_bytes is not None and block is not None:
        hi = (
            None
            if machine.memory_possible_bytes is None
            else machine.memory_possible_bytes // block
        )
        peak_blocks = _check_counts(r, phases, "memory", machine.memory_bytes // block, hi, block)
        peak = peak_blocks * block
        if hi is None and peak_blocks > MAX_BLOCKS:
            r.error("machine.memory", f"the storms take it past {MAX_BLOCKS} memory blocks")
    return tuple(phases), peak


def _check_counts(
    r: _Reader, phases: list[StormPhase], kind: str, start: int, hi: int | None, block: int | None
) -> int:
    """Report phases that remove the last core/block or add past ``hi``, for any jitter.

    Two sweeps bound every jitter outcome: removes early and adds late (the fewest
    present), then adds early and removes late (the most). Returns that peak count.
    """
    mine = [p for p in phases if p.action.startswith(kind)]
    peak = start
    for removes_first in (True, False):
        events = []
        for p in mine:
            adds = p.action.endswith("add")
            late = p.jitter_s if adds == removes_first else 0.0
            for i in range(p.count):
                events.append((p.at_s + i * p.every_s + late, adds == removes_first, p.index, i, p))
        events.sort(key=lambda e: e[:4])
        count, reported = start, set()
        at_start: dict[int, int] = {}
        for *_, p in events:
            at_start.setdefault(p.index, count)
            count += 1 if p.action.endswith("add") else -1
            peak = max(peak, count)
            broken = count < 1 if removes_first else hi is not None and count > hi
            if broken and p.index not in reported:
                reported.add(p.index)
                r.error(f"storm[{p.index}]", _count_reason(p, kind, at_start[p.index], hi, block))
    return peak


def _count_reason(p: StormPhase, kind: str, present: int, hi: int | None, block: int | None) -> str:
    if kind == "cpu":
        what, now, cap = f"{p.action} of {p.count} cores", f"{present} cores", f"{hi}"
    else:
        assert block is not None
        what = f"{p.action} of {format_size(p.count * block)} ({p.count} blocks)"
        now, cap = format_size(present * block), format_size((hi or 0) * block)
    if p.action.endswith("add"):
        limit = "machine.cores_possible" if kind == "cpu" else "machine.memory_max"
        return f"{what} goes past {limit} = {cap}: {now} present when it starts at {p.at_s:g}s"
    last = "core" if kind == "cpu" else "memory block"
    return f"{what} would remove the last {last}: {now} present when it starts at {p.at_s:g}s"


def _churn(r: _Reader, data: dict[str, Any], duration: float | None) -> tuple[ChurnSpec, ...]:
    out = []
    for i, (w, raw) in enumerate(_array(r, data, "churn")):
        t = r.table(raw, w, _CHURN)
        start = r.get(t, w, "start", parse_duration, 0.0)
        end = r.get(t, w, "end", parse_duration, duration)
        rate = r.get(t, w, "rate", _rate)
        cpu = r.get(t, w, "cpu_fraction", _fraction, 0.5)
        add = r.get(t, w, "add_fraction", _fraction, 0.5)
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


def _crash(
    r: _Reader, data: dict[str, Any], machine: MachineSpec, duration: float | None
) -> CrashSpec:
    w = "crash"
    c = r.table(data.get(w), w, ("probes", "monte_carlo"))
    monte_carlo = r.get(c, w, "monte_carlo", _int, 10000)
    if monte_carlo is not None and not 0 <= monte_carlo <= 10_000_000:
        r.error("crash.monte_carlo", f"expected 0 to 10000000 samples, got {monte_carlo}")
    raw = c.get("probes", [])
    if not isinstance(raw, list):
        r.error("crash.probes", f"expected a list of {{ at = ..., cpu = ... }}, got {raw!r}")
        raw = []
    threads = (
        machine.threads_possible if None not in (machine.cores_possible, machine.smt) else None
    )
    probes = []
    for i, item in enumerate(raw):
        pw = f"crash.probes[{i}]"
        if not isinstance(item, dict):
            r.error(pw, f"expected {{ at = ..., cpu = ... }}, got {item!r}")
            continue
        p = r.table(item, pw, ("at", "cpu"))
        at = r.get(p, pw, "at", parse_duration)
        cpu = r.get(p, pw, "cpu", lambda v: v, "random")
        if at is not None and duration is not None and at > duration:
            r.error(f"{pw}.at", f"{at:g}s is past the end (scenario.duration = {duration:g}s)")
        if cpu not in PROBE_CPUS and (isinstance(cpu, bool | str) or not isinstance(cpu, int)):
            r.error(f"{pw}.cpu", f"expected a thread number, 'newest' or 'random'; got {cpu!r}")
        elif isinstance(cpu, int) and threads is not None and not 0 <= cpu < threads:
            r.error(f"{pw}.cpu", f"thread {cpu} is not a possible thread (0 to {threads - 1})")
        elif at is not None:
            probes.append(Probe(at, cpu))
    return CrashSpec(tuple(probes), monte_carlo if monte_carlo is not None else 10000)
