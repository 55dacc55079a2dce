"""``machine_from_dtb``: a ``Machine`` from a real pseries device tree, strictly validated.

The CPU model comes from the CPU node names (``PowerPC,POWERn``), the template and SMT
width from the CPU nodes, the present cores from the ``device_type = "cpu"`` nodes, the
possible cores from the first cell of ``/cpus/ibm,drc-indexes`` and the memory from the
``/memory`` nodes. Anything wrong is one ``InputError`` naming the file and the place.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
from collections import OrderedDict

import libfdt

from engine.devicetree.dtb_check import admit_dtb, read_dtb_file
from engine.errors import InputError
from engine.machine.cpu_templates import SMT_WIDTHS, CpuNodeTemplate, is_cpu_node, props_at
from engine.machine.topology import MIB, Machine, memory_limit_problem

DEFAULT_MEMORY_BLOCK_BYTES = 256 * MIB
_CPU_NAME = re.compile(r"^PowerPC,(POWER[0-9A-Za-z+]+)(?:@([0-9a-fA-F]+))?$")


def machine_from_dtb(
    path_or_bytes: str | os.PathLike[str] | bytes,
    source: str | None = None,
    *,
    memory_possible_bytes: int | None = None,
) -> Machine:
    """A ``Machine`` from a pseries DTB file (or its bytes); ``InputError`` on anything wrong.

    ``memory_possible_bytes`` bounds memory hot-add; by default it comes from ``/rtas``
    ``ibm,lrdr-capacity`` (QEMU's maxmem), else no memory can be added.
    """
    if isinstance(path_or_bytes, bytes | bytearray):
        blob = bytes(path_or_bytes)
        source = source or "<dtb>"
    else:
        source = source or str(path_or_bytes)
        try:
            blob = read_dtb_file(path_or_bytes)
        except InputError as err:
            raise InputError(source, f"cannot read the file: {err.reason}") from None
    key = (hashlib.sha256(blob).digest(), memory_possible_bytes)
    if key in _IMPORTED:
        _IMPORTED.move_to_end(key)
        return _IMPORTED[key].copy()
    machine = _import(blob, source, memory_possible_bytes)
    _IMPORTED[key] = machine
    if len(_IMPORTED) > _IMPORTS_KEPT:
        _IMPORTED.popitem(last=False)
    return machine.copy()


# `run` imports its from_dtb once per strategy, `validate` twice: the same bytes give the
# same Machine (the source only names the file in errors), so the last few imports are
# kept by content (a changed file is imported again) and each caller gets its own copy.
# Refusals are not kept: they raise, naming their source, every time.
_IMPORTS_KEPT = 4
_IMPORTED: OrderedDict[tuple[bytes, int | None], Machine] = OrderedDict()


def _import(blob: bytes, source: str, memory_possible_bytes: int | None) -> Machine:
    admit_dtb(blob, source)  # the one gate: structure, then libfdt's fdt_check_full
    reader = _Reader(blob, source)
    try:
        machine = reader.machine(memory_possible_bytes)
        reader.where = "/"
        _try_build(machine)
    except InputError:
        raise
    except Exception as exc:  # a DTB that passed the checks but that we cannot interpret
        raise InputError(
            source, f"cannot interpret the device tree: {exc}", where=reader.where
        ) from None
    return machine


def _try_build(machine: Machine) -> None:
    # the live tree and the kdump FDT must build from this base: fail now, not mid-run
    from engine.devicetree.kdump_fdt import KdumpFdtBuilder

    KdumpFdtBuilder(
        machine, bootargs="", elfcorehdr_addr=0, elfcorehdr_size=0, crash_base=0, crash_size=0
    ).build()


class _Reader:
    """Reads the facts out of a checked DTB, keeping ``where`` for error messages."""

    def __init__(self, blob: bytes, source: str) -> None:
        self.blob = blob
        self.source = source
        self.fdt = libfdt.Fdt(blob)
        self.where = "/"

    def fail(self, reason: str) -> InputError:
        return InputError(self.source, reason, where=self.where)

    def props(self, offset: int) -> list[tuple[str, bytes]]:
        return props_at(self.fdt, offset)

    def children(self, offset: int) -> list[tuple[int, str]]:
        fdt, out = self.fdt, []
        child = fdt.first_subnode(offset, quiet=(libfdt.NOTFOUND,))
        while child >= 0:
            out.append((child, fdt.get_name(child)))
            child = fdt.next_subnode(child, quiet=(libfdt.NOTFOUND,))
        return out

    def cells(self, value: bytes, what: str) -> list[int]:
        if len(value) % 4:
            raise self.fail(f"{what} is {len(value)} bytes, not whole 32-bit cells")
        return list(struct.unpack(f">{len(value) // 4}I", value))

    # ---------------------------------------------------------------- pieces
    def machine(self, memory_possible_bytes: int | None) -> Machine:
        self.where = "/cpus"
        cpus = self.fdt.path_offset("/cpus", quiet=(libfdt.NOTFOUND,))
        if cpus < 0:
            raise self.fail("no /cpus node")
        model, smt, nodes = self.cpu_nodes(cpus)
        by_core = {reg // smt: (name, props) for reg, name, props in nodes}
        present = sorted(by_core)
        possible = self.possible_cores(cpus, len(present))
        if present[-1] >= possible:
            self.where = f"/cpus/{by_core[present[-1]][0]}"
            raise self.fail(
                f"core {present[-1]} (first thread {present[-1] * smt}) is outside the "
                f"{possible} possible cores of /cpus ibm,drc-indexes"
            )
        memory_bytes, block_bytes, lrdr_max = self.memory()
        if memory_possible_bytes is None:
            self.where = "/rtas"
            memory_possible_bytes = max(memory_bytes, lrdr_max // block_bytes * block_bytes)
            too_large = memory_limit_problem(memory_possible_bytes, block_bytes)
            if too_large:
                raise self.fail(f"ibm,lrdr-capacity: {too_large}")
        elif memory_possible_bytes < memory_bytes:
            raise InputError(
                self.source,
                f"possible memory {memory_possible_bytes} is below the tree's {memory_bytes}",
            )
        template = CpuNodeTemplate.from_nodes([by_core[c] for c in present], smt)
        return Machine(
            cpu_model=model,
            smt=smt,
            cores_present=present,
            cores_possible=possible,
            memory_bytes=memory_bytes,
            memory_block_bytes=block_bytes,
            memory_possible_bytes=memory_possible_bytes,
            template=template,
            base_blob=self.blob,
        )

    def cpu_nodes(self, cpus: int) -> tuple[str, int, list[tuple[int, str, list]]]:
        model: str | None = None
        smt: int | None = None
        nodes: list[tuple[int, str, list]] = []
        seen: dict[int, str] = {}
        for offset, name in self.children(cpus):
            self.where = f"/cpus/{name}"
            props = self.props(offset)
            if not is_cpu_node(props):
                if _CPU_NAME.match(name):  # a DLPAR add of this core would hit FDT_ERR_EXISTS
                    raise self.fail('named as a CPU node but has no device_type = "cpu"')
                continue
            found = _CPU_NAME.match(name)
            if not found:
                raise self.fail('CPU node name is not "PowerPC,POWER<n>@<id>"')
            if model is not None and found.group(1) != model:
                raise self.fail(
                    f"CPU model {found.group(1)} differs from {model} of the first node"
                )
            model = found.group(1)
            values = dict(props)
            if len(values) != len(props):
                raise self.fail("a property appears twice in the CPU node")
            if "ibm,ppc-interrupt-server#s" not in values:
                raise self.fail("CPU node has no ibm,ppc-interrupt-server#s")
            threads = self.cells(values["ibm,ppc-interrupt-server#s"], "ibm,ppc-interrupt-server#s")
            if len(threads) not in SMT_WIDTHS:
                raise self.fail(
                    f"ibm,ppc-interrupt-server#s lists {len(threads)} threads; "
                    f"SMT must be one of {SMT_WIDTHS}"
                )
            if smt is not None and len(threads) != smt:
                raise self.fail(f"{len(threads)} threads per core, but the first node has {smt}")
            smt = len(threads)
            reg = values.get("reg", b"")
            if len(reg) != 4:
                raise self.fail(f"reg is {len(reg)} bytes, expected one 32-bit cell")
            first = int.from_bytes(reg, "big")
            if threads != list(range(first, first + smt)) or first % smt:
                raise self.fail(
                    f"threads {threads} are not the {smt} consecutive interrupt servers of "
                    f"a core starting at reg = {first}"
                )
            if first in seen:
                raise self.fail(f"reg = {first} repeats the one of {seen[first]}")
            seen[first] = name
            nodes.append((first, name, props))
        self.where = "/cpus"
        if model is None or smt is None:
            raise self.fail('no CPU node (device_type = "cpu")')
        return model, smt, nodes

    def possible_cores(self, cpus: int, present: int) -> int:
        self.where = "/cpus"
        values = dict(self.props(cpus))
        drc = values.get("ibm,drc-indexes")
        if drc is None:
            return present  # no DRC array: nothing can be hot-added
        cells = self.cells(drc, "ibm,drc-indexes")
        if not cells or cells[0] < 1:
            raise self.fail("ibm,drc-indexes has no core count in its first cell")
        if len(cells) != 1 + cells[0]:
            raise self.fail(
                f"ibm,drc-indexes says {cells[0]} cores but lists {len(cells) - 1} indexes"
            )
        return cells[0]

    def memory(self) -> tuple[int, int, int]:
        """(memory bytes rounded down to whole blocks, block bytes, lrdr max address)."""
        self.where = "/"
        root = dict(self.props(0))
        address_cells = self.one_cell(root, "#address-cells", 2)
        size_cells = self.one_cell(root, "#size-cells", 1)
        if not (1 <= address_cells <= 2 and 1 <= size_cells <= 2):
            raise self.fail(
                f"#address-cells = {address_cells}, #size-cells = {size_cells}: "
                "expected 1 or 2 each"
            )
        total = 0
        block = DEFAULT_MEMORY_BLOCK_BYTES
        lrdr_max = 0
        for offset, name in self.children(0):
            self.where = f"/{name}"
            props = dict(self.props(offset))
            if name == "ibm,dynamic-reconfiguration-memory" and "ibm,lmb-size" in props:
                lmb = props["ibm,lmb-size"]
                if len(lmb) != 8 or int.from_bytes(lmb, "big") == 0:
                    raise self.fail("ibm,lmb-size is not a non-zero 64-bit size")
                block = int.from_bytes(lmb, "big")
                bad_block = memory_limit_problem(block, block)
                if bad_block:
                    raise self.fail(f"ibm,lmb-size: {bad_block}")
            if name == "rtas" and len(props.get("ibm,lrdr-capacity", b"")) >= 8:
                lrdr_max = int.from_bytes(props["ibm,lrdr-capacity"][:8], "big")
            is_memory = name.split("@", 1)[0] == "memory"
            if not is_memory and props.get("device_type", b"").split(b"\0", 1)[0] != b"memory":
                continue
            reg = props.get("reg", b"")
            step = 4 * (address_cells + size_cells)
            if not reg or len(reg) % step:
                raise self.fail(
                    f"reg is {len(reg)} bytes, not (address, size) pairs of "
                    f"{address_cells} + {size_cells} cells"
                )
            for i in range(0, len(reg), step):
                total += int.from_bytes(reg[i + 4 * address_cells : i + step], "big")
        self.where = "/"
        too_large = memory_limit_problem(total, block)
        if too_large:  # before a Machine allocates one entry per block
            raise self.fail(f"the /memory nodes: {too_large}")
        if total < block:
            raise self.fail(
                f"the /memory nodes hold {total} bytes, less than one {block}-byte memory block"
            )
        return total // block * block, block, lrdr_max

    def one_cell(self, props: dict[str, bytes], name: str, default: int) -> int:
        value = props.get(name)
        if value is None:
            return default
        if len(value) != 4:
            raise self.fail(f"{name} is {len(value)} bytes, expected one 32-bit cell")
        return int.from_bytes(value, "big")
