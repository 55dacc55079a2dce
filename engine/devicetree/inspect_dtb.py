"""Facts about one DTB for ``kdump-storm inspect``: topology, CPU node size, room in a hole.

``more_cores_fit`` counts how many more core nodes, at the measured bytes per core node
of this DTB, fit into the free part of a crash FDT hole of ``hole_bytes`` once the kdump
FDT built from this machine is loaded there. ``auto_hole_bytes`` is the kernel's own
sizing: the kdump FDT plus ``(possible - present cores) x cpu_node_size()`` plus 4096.
The kdump FDT is built with the default scenario's bootargs (the only input that
changes its length besides the tree itself).
"""

from __future__ import annotations

import os
import struct
from typing import TYPE_CHECKING

from engine.devicetree.dtb_check import read_dtb_file

if TYPE_CHECKING:
    from engine.devicetree.kdump_fdt import KdumpFdtBuilder
    from engine.machine.topology import Machine

HEADER_FIELDS = struct.Struct(">10I")
DEFAULT_HOLE_BYTES = 1 << 20  # the RFC's fixed hole

FACT_KEYS = (
    "file",
    "cpu_model",
    "cores_present",
    "cores_possible",
    "threads_per_core",
    "bytes_per_cpu_node",  # measured: DTB structure bytes of one core node
    "cpu_node_size_estimate",  # the kernel's cpu_node_size() formula
    "totalsize",
    "struct_bytes",
    "strings_bytes",
    "hole_bytes",
    "kdump_fdt_bytes",  # the packed kdump FDT kexec would copy into the hole
    "hole_free_bytes",  # negative when the kdump FDT does not even fit
    "more_cores_fit",
    "cores_to_possible",
    "possible_cores_fit",
    "auto_hole_bytes",
)


def inspect_dtb(
    path: str | os.PathLike[str], hole_bytes: int = DEFAULT_HOLE_BYTES
) -> dict[str, object]:
    """Facts about the DTB at ``path``, keys in the order of ``FACT_KEYS``.

    Raises ``InputError`` for a missing, unreadable or malformed file.
    """
    source = str(path)
    blob = read_dtb_file(path)

    from engine.devicetree.dtb_import import machine_from_dtb
    from engine.devicetree.kdump_fdt import auto_hole_size, cpu_node_size, measured_cpu_node_bytes

    machine = machine_from_dtb(blob, source=source)
    fields = HEADER_FIELDS.unpack_from(blob, 0)
    totalsize, version, strings_bytes = fields[1], fields[5], fields[8]
    struct_bytes = fields[9] if version >= 17 else fields[3] - fields[2]

    present = len(machine.present_cores)
    possible = machine.cores_possible
    per_node = measured_cpu_node_bytes(machine)
    kdump_fdt_bytes = len(_kdump_builder(machine).build())
    free = hole_bytes - kdump_fdt_bytes
    more = max(free, 0) // per_node if per_node > 0 else 0
    missing = max(possible - present, 0)
    facts: dict[str, object] = {
        "file": source,
        "cpu_model": machine.cpu_model,
        "cores_present": present,
        "cores_possible": possible,
        "threads_per_core": machine.smt,
        "bytes_per_cpu_node": per_node,
        "cpu_node_size_estimate": cpu_node_size(machine),
        "totalsize": totalsize,
        "struct_bytes": struct_bytes,
        "strings_bytes": strings_bytes,
        "hole_bytes": hole_bytes,
        "kdump_fdt_bytes": kdump_fdt_bytes,
        "hole_free_bytes": free,
        "more_cores_fit": more,
        "cores_to_possible": missing,
        "possible_cores_fit": free >= 0 and more >= missing,
        "auto_hole_bytes": auto_hole_size(machine, kdump_fdt_bytes),
    }
    assert tuple(facts) == FACT_KEYS
    return facts


def _kdump_builder(machine: Machine) -> KdumpFdtBuilder:
    """The kdump FDT builder kexec would use for ``machine`` with the default scenario.

    Addresses and sizes only change cell values, never the blob's length.
    """
    from engine.devicetree.kdump_fdt import KdumpFdtBuilder
    from engine.kexec.crash_region import default_crash_base
    from engine.kexec.elfcorehdr import elfcorehdr_segment_size
    from engine.scenario.model import DEFAULT_BOOTARGS

    rma_bytes, crashkernel_bytes = 1 << 30, 512 << 20
    threads = machine.cores_possible * machine.smt
    return KdumpFdtBuilder(
        machine,
        bootargs=DEFAULT_BOOTARGS,
        elfcorehdr_addr=0,
        elfcorehdr_size=elfcorehdr_segment_size(threads, True, machine.ram_ranges()),
        crash_base=default_crash_base(rma_bytes, lpar=True),
        crash_size=crashkernel_bytes,
    )
