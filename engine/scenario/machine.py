"""The [machine] table, read from the scenario or from a pseries DTB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.scenario.model import (
    CPU_MODELS,
    GIB,
    MAX_BLOCKS,
    MAX_THREADS,
    SECTION_BYTES,
    SMT_WIDTHS,
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
_FROM_DTB = ("cpu_model", "smt", "cores_present", "cores_possible", "memory")


def read_machine(r: Reader, data: dict[str, Any], base_dir: Path | None) -> Any:
    w = "machine"
    m = r.section(data.get(w), w)
    if w not in data:
        r.error(w, "required table [machine] is missing")
    from_dtb = r.field(m, w, "from_dtb")
    dtb: dict[str, Any] = {}
    if from_dtb is not None:
        dtb_path = ((base_dir or Path.cwd()) / from_dtb).resolve()
        for key in _FROM_DTB:
            if key in m:
                r.error(join(w, key), "comes from machine.from_dtb; remove it")
        try:
            dtb = _read_dtb(dtb_path)
        except InputError as err:
            r.error(join(w, "from_dtb"), err.reason)
    need = REQUIRED if from_dtb is None and w in data else None
    model = dtb.get("cpu_model") or r.field(m, w, "cpu_model")
    smt = dtb.get("smt") or r.field(m, w, "smt")
    present = dtb.get("cores_present") or r.field(m, w, "cores_present", need)
    possible = dtb.get("cores_possible") or r.field(m, w, "cores_possible", need)
    memory = dtb.get("memory_bytes") or r.field(m, w, "memory", need)
    block = r.field(m, w, "memory_block")
    memory_max = r.field(m, w, "memory_max")
    lpar = r.field(m, w, "lpar")
    rma = r.field(m, w, "rma")
    thread_online = r.field(m, w, "thread_online")
    boot_smt = r.field(m, w, "boot_smt")
    if boot_smt is not None and smt is not None and not 1 <= boot_smt <= smt:
        r.error(join(w, "boot_smt"), f"{boot_smt} threads per core: expected 1 to {smt} (SMT{smt})")
    if present is not None and present < 1:
        r.error(join(w, "cores_present"), "at least one core must be present")
    if possible is not None and present is not None and present > possible:
        r.error(
            join(w, "cores_present"), f"{present} cores present but cores_possible is {possible}"
        )
    if possible is not None and smt is not None and possible * smt > MAX_THREADS:
        r.error(
            join(w, "cores_possible"),
            f"{possible} cores x SMT{smt} = {possible * smt} threads, above the "
            f"{MAX_THREADS} a ppc64 kernel supports (NR_CPUS)",
        )
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
    if memory_max is not None and block is not None and memory_max // block > MAX_BLOCKS:
        r.error(join(w, "memory_max"), f"more than {MAX_BLOCKS} memory blocks")
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


def _read_dtb(path: Path) -> dict[str, Any]:
    """Model, SMT width, cores and memory of a pseries DTB (a loose read via libfdt)."""
    from engine.devicetree.dtb_check import admit_dtb, read_dtb_file

    blob = read_dtb_file(path)
    admit_dtb(blob, str(path))
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
