"""Cross-field checks: the crash region fits, storms keep counts within bounds over time."""

from __future__ import annotations

import hashlib
from typing import Any

from engine.errors import InputError
from engine.kexec.crash_region import default_crash_base, plan_crash_region
from engine.machine.topology import memory_limit_problem
from engine.scenario.model import MachineSpec, StormPhase
from engine.scenario.reader import Reader
from engine.units import format_size


def check_region_fit(
    r: Reader,
    k: dict[str, Any],
    machine: MachineSpec,
    crashkernel: int | None,
    base: int | None,
    kernel: int | None,
    initrd: int | None,
    purgatory: int | None,
    hole: int | None,
) -> None:
    """Report a crashkernel region that cannot hold its segments or lies outside memory.

    ``k`` is the [kdump] table as written; ``hole`` None means "auto".
    """
    sizes = (crashkernel, kernel, initrd, purgatory, machine.rma_bytes, machine.memory_bytes)
    if any(x is None for x in sizes) or {"kdump.crash_base", "kdump.fdt_hole"} & r.failed:
        return
    assert crashkernel is not None and kernel is not None and initrd is not None
    assert purgatory is not None
    if hole is not None and hole > crashkernel:
        r.error(
            "kdump.fdt_hole",
            f"FDT hole of {format_size(hole)} is larger than the "
            f"crashkernel region ({format_size(crashkernel)})",
        )
        return
    segments = kernel + initrd + purgatory
    if segments > crashkernel:
        r.error(
            "kdump.crashkernel",
            f"kernel {format_size(kernel)} + initrd "
            f"{format_size(initrd)} + purgatory {format_size(purgatory)} = "
            f"{format_size(segments)} do not fit in the crashkernel region of "
            f"{format_size(crashkernel)}",
        )
        return
    start = default_crash_base(machine.rma_bytes, machine.lpar) if base is None else base
    if start + crashkernel > machine.memory_bytes:
        r.error(
            "kdump.crashkernel",
            f"the region at {format_size(start)} + "
            f"{format_size(crashkernel)} ends past machine.memory "
            f"({format_size(machine.memory_bytes)})",
        )
        return
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


# arch/powerpc/include/uapi/asm/setup.h: the kernel keeps at most this many bytes of
# command line, NUL included; kexec_file_load's cmdline_len is checked against it
COMMAND_LINE_SIZE = 2048


def check_bootargs(r: Reader, bootargs: str | None) -> None:
    """A capture command line the kernel and the FDT's ``/chosen/bootargs`` can hold."""
    if bootargs is None:
        return
    if not bootargs.isascii() or "\0" in bootargs:
        r.error("kdump.bootargs", "must be ASCII text without NUL bytes")
    elif len(bootargs) + 1 > COMMAND_LINE_SIZE:
        r.error(
            "kdump.bootargs",
            f"{len(bootargs)} characters: past the powerpc COMMAND_LINE_SIZE of "
            f"{COMMAND_LINE_SIZE} bytes (NUL included)",
        )


def check_hole_holds_initial_fdt(
    r: Reader, machine: MachineSpec, bootargs: str | None, hole: int | None
) -> None:
    """A fixed ``fdt_hole`` must hold the kdump FDT loaded at boot, before any storm.

    The blob is built as a run builds it (``KdumpFdtBuilder`` on the scenario's
    machine and bootargs); kexec addresses are cells of fixed width, so zeros give
    the same length.
    """
    if hole is None or bootargs is None or _machine_failed(r) or "kdump.bootargs" in r.failed:
        return
    from engine.devicetree.kdump_fdt import KdumpFdtBuilder
    from engine.scenario.machine import machine_for

    try:
        built = machine_for(machine)
    except (InputError, ValueError):
        return  # reported where the machine is read
    # the blob is a function of the machine spec, the imported tree and the bootargs:
    # validate parses a file twice, and a sweep's points mostly share their machine
    key = (machine, bootargs, hashlib.sha256(built.base_blob).digest() if built.imported else b"")
    needed = _INITIAL_FDT_BYTES.get(key)
    if needed is None:
        needed = len(
            KdumpFdtBuilder(
                built,
                bootargs=bootargs,
                elfcorehdr_addr=0,
                elfcorehdr_size=0,
                crash_base=0,
                crash_size=0,
            ).build()
        )
        if len(_INITIAL_FDT_BYTES) >= 64:
            _INITIAL_FDT_BYTES.clear()
        _INITIAL_FDT_BYTES[key] = needed
    if hole < needed:
        r.error(
            "kdump.fdt_hole",
            f"{format_size(hole)} cannot hold the machine's initial kdump FDT: "
            f"at least {needed} bytes ({format_size(needed)}) needed",
        )


_INITIAL_FDT_BYTES: dict[tuple[MachineSpec, str, bytes], int] = {}


def _machine_failed(r: Reader) -> bool:
    return any(f == "machine" or f.startswith("machine.") for f in r.failed)


def check_storm_counts(r: Reader, phases: list[StormPhase], machine: MachineSpec) -> int | None:
    """Check core and block counts over the storms; the peak memory (None when unknown)."""
    block = machine.memory_block_bytes
    if r.failed & {
        "machine.cores_present",
        "machine.cores_possible",
        "machine.memory",
        "machine.memory_max",
        "machine.memory_block",
    } or any(f.startswith("storm") for f in r.failed):
        return None
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
        too_large = memory_limit_problem(peak, block) if hi is None else None
        if too_large:
            r.error("machine.memory", f"the storms take it to {format_size(peak)}: {too_large}")
    return peak


def _check_counts(
    r: Reader, phases: list[StormPhase], kind: str, start: int, hi: int | None, block: int | None
) -> int:
    """Report phases that remove the last core/block or add past ``hi``, for any jitter.

    Two sweeps bound every jitter outcome: removes early and adds late (the fewest
    present), then adds early and removes late (the most). Returns that peak count.
    """
    mine = [p for p in phases if p.action.startswith(kind) and p.count > 0]
    if len(mine) == 1:
        return _check_one_phase(r, mine[0], kind, start, hi, block)
    return _sweep_counts(r, mine, kind, start, hi, block)


def _sweep_counts(
    r: Reader, mine: list[StormPhase], kind: str, start: int, hi: int | None, block: int | None
) -> int:
    by_index = {p.index: p for p in mine}
    peak = start
    for removes_first in (True, False):
        events = []
        for p in mine:
            adds = p.action.endswith("add")
            late = p.jitter_s if adds == removes_first else 0.0
            at, every, flag, index, delta = p.at_s, p.every_s, adds == removes_first, p.index, 1
            if not adds:
                delta = -1
            events.extend([(at + i * every + late, flag, index, i, delta) for i in range(p.count)])
        events.sort()  # by (time, flag, phase, i): unique, so delta never decides
        count, reported = start, set()
        at_start: dict[int, int] = {}
        for _, _, index, _, delta in events:
            if index not in at_start:
                at_start[index] = count
            count += delta
            if count > peak:
                peak = count
            broken = count < 1 if removes_first else hi is not None and count > hi
            if broken and index not in reported:
                reported.add(index)
                p = by_index[index]
                r.error(f"storm[{index}]", _count_reason(p, kind, at_start[index], hi, block))
    return peak


def _check_one_phase(
    r: Reader, p: StormPhase, kind: str, start: int, hi: int | None, block: int | None
) -> int:
    """``_check_counts`` for one phase alone: the count moves one way, from ``start`` to
    ``start +- count``, whatever the jitter, so its extremes are known without a sweep
    (a 64k-block storm made 2 x 64k events to sort)."""
    step = 1 if p.action.endswith("add") else -1
    final = start + step * p.count
    lowest, highest = min(start + step, final), max(start + step, final)
    if lowest < 1:  # the removes-first sweep
        r.error(f"storm[{p.index}]", _count_reason(p, kind, start, hi, block))
    if hi is not None and highest > hi:  # the adds-first sweep
        r.error(f"storm[{p.index}]", _count_reason(p, kind, start, hi, block))
    return max(start, highest)


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
