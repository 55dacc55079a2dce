"""The kdump FDT: live tree + kexec's /chosen props, from the fast cached serializer."""

from __future__ import annotations

import struct

import libfdt
import pytest

from engine.devicetree.kdump_fdt import (
    auto_hole_size,
    build_reference_dtb,
    cpu_node_size,
    measured_cpu_node_bytes,
)
from engine.machine.cpu_templates import CpuNodeTemplate
from engine.machine.topology import Machine
from tests.fdt_compare import assert_valid_dtb, cpu_node_order, diff, tree_of
from tests.fdt_fixtures import builder_for


def test_chosen_carries_bootargs_elfcorehdr_and_usable_memory_range():
    blob = builder_for(Machine(smt=8, cores_present=2, cores_possible=4)).build()
    chosen = tree_of(blob)["/chosen"]
    assert chosen["bootargs"] == b"irqpoll maxcpus=1 reset_devices\0"
    assert chosen["linux,elfcorehdr"] == struct.pack(">QQ", 0x3000_0000, 0x7_0000)
    assert chosen["linux,usable-memory-range"] == struct.pack(">QQ", 0x2000_0000, 0x4000_0000)
    assert "rng-seed" not in chosen


def test_packed_version_17_header_with_real_totalsize():
    blob = builder_for(Machine(smt=4, cores_present=3, cores_possible=8)).build()
    fdt = libfdt.Fdt(blob)
    assert (fdt.version(), fdt.last_comp_version()) == (17, 16)
    assert fdt.totalsize() == len(blob) == fdt.off_dt_strings() + fdt.size_dt_strings()
    assert fdt.off_dt_struct() + fdt.size_dt_struct() == fdt.off_dt_strings()
    assert_valid_dtb(blob)


@pytest.mark.parametrize("model", ["POWER8", "POWER9", "POWER10"])
def test_fast_builder_equals_the_fdt_package_serialization_as_the_machine_changes(model):
    m = Machine(cpu_model=model, smt=8, cores_present=4, cores_possible=12)
    builder = builder_for(m)
    for step in ("boot", "add", "add", "remove"):
        if step == "add":
            m.add_core()
        elif step == "remove":
            m.remove_core(1)
        fast = builder.build()
        reference = build_reference_dtb(builder_for(m))
        assert diff(tree_of(fast), tree_of(reference)) == []
        assert cpu_node_order(fast) == cpu_node_order(reference)
        assert_valid_dtb(fast)


def test_builder_follows_live_tree_order():
    m = Machine(smt=8, cores_present=2, cores_possible=8)
    builder = builder_for(m)
    m.add_core(5)
    assert cpu_node_order(builder.build()) == [
        "PowerPC,POWER9@28",
        "PowerPC,POWER9@0",
        "PowerPC,POWER9@8",
    ]


def test_measured_core_node_bytes_match_qemu_plus_the_live_name_property():
    # domain.md section 6: 624 bytes (POWER9), 540 (POWER8) of structure per QEMU core
    # node; the kernel's live node adds `name` = "PowerPC,POWER9\0": 12 + 16 = 28 bytes
    # (the old expectation, 624/540, left out what populate_properties() synthesizes)
    assert measured_cpu_node_bytes(Machine(smt=1, cores_present=1, cores_possible=32)) == 652
    assert (
        measured_cpu_node_bytes(
            Machine(cpu_model="POWER8", smt=1, cores_present=1, cores_possible=16)
        )
        == 568
    )
    # SMT8 adds 7 server cells and 7 (server, 0) pairs: 652 + 28 + 56
    assert measured_cpu_node_bytes(Machine(smt=8, cores_present=1, cores_possible=64)) == 736


def test_measured_core_node_bytes_are_the_bytes_one_more_core_adds():
    m = Machine(smt=8, cores_present=2, cores_possible=64)
    builder = builder_for(m)
    before = len(builder.build())
    m.add_core(63)
    assert len(builder.build()) - before == measured_cpu_node_bytes(m)


def test_cpu_node_size_is_the_kernel_formula_on_the_first_cpu_node():
    m = Machine(smt=8, cores_present=2, cores_possible=64)
    props = CpuNodeTemplate.builtin("POWER9").props_for(0, 8)
    # strlen("PowerPC,POWER9") + 5, the recreated "name" property, then name + value
    expected = 14 + 5 + (4 + 15) + sum(len(n) + len(v) for n, v in props)
    assert cpu_node_size(m) == expected == 782
    # it overestimates: the DTB shares property names in the strings block
    assert cpu_node_size(m) > measured_cpu_node_bytes(m)


def test_auto_hole_size_leaves_room_for_every_possible_core_plus_4096():
    m = Machine(smt=8, cores_present=8, cores_possible=64)
    assert auto_hole_size(m, 30_000) == 30_000 + 56 * 782 + 4096
    m.add_core()
    assert auto_hole_size(m, 30_000) == 30_000 + 55 * 782 + 4096
