"""A kdump FDT builder with fixed, plausible kexec addresses, for tests and benchmarks."""

from __future__ import annotations

from engine.devicetree.kdump_fdt import KdumpFdtBuilder
from engine.machine.topology import Machine


def builder_for(machine: Machine) -> KdumpFdtBuilder:
    return KdumpFdtBuilder(
        machine,
        bootargs="irqpoll maxcpus=1 reset_devices",
        elfcorehdr_addr=0x3000_0000,
        elfcorehdr_size=0x7_0000,
        crash_base=0x2000_0000,
        crash_size=0x4000_0000,
    )
