"""The [machine] table, read from the scenario or from a pseries DTB."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from engine.errors import InputError, quote
from engine.machine.topology import Machine, memory_limit_problem
from engine.scenario.model import (
    GIB,
    MAX_MEMORY_BYTES,
    MAX_THREADS,
    SECTION_BYTES,
    MachineSpec,
)
from engine.scenario.reader import (
    REQUIRED,
    Reader,
    join,
)
from engine.scenario.schema import SCHEMA
from engine.units import format_size

MACHINE_KEYS = SCHEMA["machine"].known
_FROM_DTB = ("cpu_model", "smt", "cores_present", "cores_possible", "memory", "memory_block")


def read_machine(r: Reader, data: dict[str, Any], base_dir: Path | None) -> Any:
    w = "machine"
    m = r.section(data.get(w), w)
    if w not in data:
        r.error(w, "required table [machine] is missing")
    from_dtb = r.field(m, w, "from_dtb")
    need = REQUIRED if from_dtb is None and "from_dtb" not in r.failed and w in data else None
    dtb: dict[str, Any] = {}
    memory_max = r.field(m, w, "memory_max")
    if from_dtb is not None and "\0" in from_dtb:
        r.error(join(w, "from_dtb"), f"a file name cannot contain a NUL byte: {quote(from_dtb)}")
        from_dtb, need = None, None
    if from_dtb is not None:
        # absolute but not resolved: a symlink loop is the reader's ELOOP, not a RuntimeError
        shown = (base_dir or Path()) / from_dtb  # as the user would write it, in messages
        dtb_path = Path(os.path.abspath(shown))
        for key in _FROM_DTB:
            if key in m:
                r.error(join(w, key), "comes from machine.from_dtb; remove it")
        try:
            # a memory_max past the limit is its own error below, not the importer's
            possible = memory_max if memory_max and memory_max <= MAX_MEMORY_BYTES else None
            dtb = _read_dtb(dtb_path, str(shown), possible)
        except InputError as err:
            # the DTB and its node are in str(err); the scenario file and key come first
            r.error(join(w, "from_dtb"), str(err))
    model = dtb.get("cpu_model") or r.field(m, w, "cpu_model")
    smt = dtb.get("smt") or r.field(m, w, "smt")
    present = dtb.get("cores_present") or r.field(m, w, "cores_present", need)
    possible = dtb.get("cores_possible") or r.field(m, w, "cores_possible", need)
    memory = dtb.get("memory_bytes") or r.field(m, w, "memory", need)
    block = dtb.get("memory_block_bytes") or r.field(m, w, "memory_block")
    lpar = r.field(m, w, "lpar")
    rma = r.field(m, w, "rma")
    thread_online = r.field(m, w, "thread_online")
    boot_smt = r.field(m, w, "boot_smt")
    if boot_smt is not None and smt is not None and not 1 <= boot_smt <= smt:
        r.error(join(w, "boot_smt"), f"{boot_smt} threads per core: expected 1 to {smt} (SMT{smt})")
    if present is not None and present < 1:
        r.error(join(w, "cores_present"), "at least one core must be present")
        present = None  # refused: nothing below sizes anything by it
    if possible is not None and present is not None and present > possible:
        r.error(
            join(w, "cores_present"), f"{present} cores present but cores_possible is {possible}"
        )
        present = None
    if possible is not None and smt is not None and possible * smt > MAX_THREADS:
        r.error(
            join(w, "cores_possible"),
            f"{possible} cores x SMT{smt} = {possible * smt} threads, above the "
            f"{MAX_THREADS} a ppc64 kernel supports (NR_CPUS)",
        )
        present = None  # refused: the capture replay must not size its boot cores by it
    if block is not None and (block & (block - 1) or block < SECTION_BYTES):
        r.error(join(w, "memory_block"), "must be a power of two, at least 16 MiB (ppc64 section)")
        block = None
    for key, size in (("memory", memory), ("memory_max", memory_max)):
        if size is not None and block is not None and size % block:
            r.error(
                join(w, key),
                f"{format_size(size)} is not a whole number of memory blocks "
                f"({format_size(block)})",
            )
    if memory_max is not None and memory is not None and memory_max < memory:
        r.error(join(w, "memory_max"), f"below machine.memory ({format_size(memory)})")
    if block is not None:
        for key, size in (("memory", memory), ("memory_max", memory_max)):
            too_large = None if size is None else memory_limit_problem(size, block)
            if too_large:
                r.error(join(w, key), too_large)
                if key == "memory":
                    memory = None  # refused: nothing below sizes anything by it
                else:
                    memory_max = None
    if rma is None and memory is not None:
        rma = min(GIB, memory)
    elif rma is not None and memory is not None and rma > memory:
        r.error(join(w, "rma"), f"larger than machine.memory ({format_size(memory)})")
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
        boot_smt=boot_smt,
    )


def machine_for(spec: MachineSpec) -> Machine:
    """The ``Machine`` a run starts from: imported from ``from_dtb``, else built from keys.

    Raises ``InputError`` for a DTB the importer refuses (validation already did
    the same import, so this only happens if the file changed since).
    """
    if spec.from_dtb is not None:
        from engine.devicetree.dtb_import import machine_from_dtb

        return machine_from_dtb(
            spec.from_dtb,
            source=str(spec.from_dtb),
            memory_possible_bytes=spec.memory_possible_bytes,
        )
    return Machine(
        cpu_model=spec.cpu_model,
        smt=spec.smt,
        cores_present=spec.cores_present,
        cores_possible=spec.cores_possible,
        memory_bytes=spec.memory_bytes,
        memory_block_bytes=spec.memory_block_bytes,
        memory_possible_bytes=spec.memory_possible_bytes,
    )


def _read_dtb(path: Path, shown: str, memory_max: int | None) -> dict[str, Any]:
    """Model, SMT width, cores and memory of a pseries DTB, by the importer ``run`` uses.

    ``machine_from_dtb`` is the one DTB gate: what it refuses here, ``run`` would
    refuse too, and what it accepts here builds the same ``Machine`` there.
    """
    from engine.devicetree.dtb_import import machine_from_dtb

    machine = machine_from_dtb(path, source=shown, memory_possible_bytes=memory_max)
    return {
        "cpu_model": machine.cpu_model,
        "smt": machine.smt,
        "cores_present": machine.cores_present,
        "cores_possible": machine.cores_possible,
        "memory_bytes": machine.boot_memory_bytes,
        "memory_block_bytes": machine.memory_block_bytes,
    }
