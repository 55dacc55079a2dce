"""The live device tree: base tree plus /cpus regenerated from the machine."""

from __future__ import annotations

import struct
from pathlib import Path

import fdt
import libfdt

from engine.devicetree.dtb_import import machine_from_dtb
from engine.devicetree.live_tree import build_live_tree, parse_dtb_safely
from engine.machine.topology import GIB, Machine
from tests.fdt_compare import cpu_node_order, cpu_nodes, tree_of

DATA = Path(__file__).resolve().parent / "data"
SMP8 = DATA / "pseries_power9_smp8_max32.dtb"


def u32s(value: bytes) -> list[int]:
    return list(struct.unpack(f">{len(value) // 4}I", value))


def live_blob(machine: Machine) -> bytes:
    return build_live_tree(machine).to_dtb(version=17)


def test_cpus_drc_arrays_list_every_possible_core_count_first():
    m = Machine(smt=8, cores_present=4, cores_possible=48)
    cpus = tree_of(live_blob(m))["/cpus"]
    indexes = u32s(cpus["ibm,drc-indexes"])
    assert indexes[0] == 48 and len(indexes) == 49
    assert indexes[1:] == [0x10000000 + 8 * c for c in range(48)]
    names = cpus["ibm,drc-names"]
    assert u32s(names[:4]) == [48]
    assert names[4:].split(b"\0")[:3] == [b"CPU 0", b"CPU 8", b"CPU 16"]
    assert u32s(cpus["ibm,drc-power-domains"]) == [48] + [0xFFFFFFFF] * 48
    assert cpus["ibm,drc-types"] == struct.pack(">I", 48) + b"CPU\0" * 48
    assert u32s(cpus["#address-cells"]) == [1] and u32s(cpus["#size-cells"]) == [0]


def test_one_cpu_node_per_present_core_in_live_tree_order():
    m = Machine(smt=8, cores_present=3, cores_possible=8)
    m.add_core(6)
    assert cpu_node_order(live_blob(m)) == [
        "PowerPC,POWER9@30",
        "PowerPC,POWER9@0",
        "PowerPC,POWER9@8",
        "PowerPC,POWER9@10",
    ]


def test_builtin_tree_fits_memory_rtas_and_interrupt_servers_to_the_machine():
    m = Machine(
        smt=4,
        cores_present=2,
        cores_possible=20,
        memory_bytes=16 * GIB,
        memory_possible_bytes=64 * GIB,
    )
    tree = tree_of(live_blob(m))
    assert tree["/memory@0"]["reg"] == struct.pack(">QQ", 0, 16 * GIB)
    assert tree["/rtas"]["ibm,lrdr-capacity"] == struct.pack(">QQI", 64 * GIB, 256 << 20, 20)
    assert u32s(tree["/interrupt-controller"]["ibm,interrupt-server-ranges"]) == [0, 80]


def test_builtin_tree_has_no_rng_seed_and_is_deterministic():
    m = Machine(smt=2, cores_present=2, cores_possible=4)
    first = live_blob(m)
    assert "rng-seed" not in tree_of(first)["/chosen"]
    assert live_blob(m) == first


def test_unchanged_imported_machine_keeps_every_source_cpu_node():
    source = SMP8.read_bytes()
    assert cpu_nodes(live_blob(machine_from_dtb(SMP8))) == cpu_nodes(source)


def test_non_cpu_children_of_cpus_are_kept():
    # a PowerVM-like /cpus with a cache node beside the CPU nodes
    with_cache = libfdt.Fdt(SMP8.read_bytes())
    with_cache.resize(with_cache.totalsize() + 256)
    cache = with_cache.add_subnode(with_cache.path_offset("/cpus"), "l2-cache@2000")
    with_cache.setprop(cache, "device_type", b"cache\0")
    with_cache.pack()
    m = machine_from_dtb(bytes(with_cache.as_bytearray()), source="cache.dtb")
    m.add_core()
    tree = tree_of(live_blob(m))
    assert tree["/cpus/l2-cache@2000"] == {"device_type": b"cache\0"}
    assert len(cpu_nodes(live_blob(m))) == 9


def test_parsing_never_leaks_memory_reservations_into_the_shared_default():
    shared = fdt.FDT.__init__.__defaults__[-1]
    blob = bytearray(SMP8.read_bytes())
    reserved = libfdt.Fdt(blob)
    reserved.resize(len(blob) + 64)
    libfdt.fdt_add_mem_rsv(reserved._fdt, 0x1000, 0x2000)
    before = list(shared)
    one = parse_dtb_safely(bytes(reserved.as_bytearray()))
    two = parse_dtb_safely(bytes(reserved.as_bytearray()))
    assert one.entries == [{"address": 0x1000, "size": 0x2000}]
    assert one.entries is not two.entries
    assert shared == before
