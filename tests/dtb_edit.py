"""Edit a real pseries DTB with libfdt for tests: set, delete or add one thing, repack."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import libfdt

DATA = Path(__file__).resolve().parent / "data"
POWER9 = DATA / "pseries_power9_smp8_max32.dtb"  # 8 SMT1 cores of 32, 256 MiB of memory


def edited(edit: Callable[[libfdt.Fdt], None], base: Path = POWER9, room: int = 4096) -> bytes:
    """``base`` with ``edit(fdt)`` applied, packed."""
    fdt = libfdt.Fdt(bytearray(base.read_bytes()))
    fdt.resize(fdt.totalsize() + room)
    edit(fdt)
    fdt.pack()
    return bytes(fdt.as_bytearray())


def set_lmb_size(size_bytes: int) -> Callable[[libfdt.Fdt], None]:
    def edit(fdt: libfdt.Fdt) -> None:
        node = fdt.add_subnode(0, "ibm,dynamic-reconfiguration-memory")
        fdt.setprop(node, "ibm,lmb-size", size_bytes.to_bytes(8, "big"))

    return edit


def set_memory_reg(size_bytes: int) -> Callable[[libfdt.Fdt], None]:
    def edit(fdt: libfdt.Fdt) -> None:
        node = fdt.path_offset("/memory@0")
        fdt.setprop(node, "reg", (0).to_bytes(8, "big") + size_bytes.to_bytes(8, "big"))

    return edit


def add_memory_node(size_bytes: int) -> Callable[[libfdt.Fdt], None]:
    def edit(fdt: libfdt.Fdt) -> None:
        node = fdt.add_subnode(0, "memory@100000000")
        fdt.setprop_str(node, "device_type", "memory")
        fdt.setprop(node, "reg", (1 << 32).to_bytes(8, "big") + size_bytes.to_bytes(8, "big"))

    return edit


def drop_cpus_prop(name: str) -> Callable[[libfdt.Fdt], None]:
    def edit(fdt: libfdt.Fdt) -> None:
        fdt.delprop(fdt.path_offset("/cpus"), name)

    return edit


def drop_first_cpu_prop(name: str) -> Callable[[libfdt.Fdt], None]:
    def edit(fdt: libfdt.Fdt) -> None:
        fdt.delprop(fdt.first_subnode(fdt.path_offset("/cpus")), name)

    return edit
