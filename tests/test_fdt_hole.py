"""The FDT hole: load, the kernel's update_cpus_node() in place (literal and fast), NOSPACE."""

from __future__ import annotations

from pathlib import Path

import libfdt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.devicetree.dtb_import import machine_from_dtb
from engine.devicetree.fdt_hole import FdtHole, UpdateOutcome
from engine.devicetree.kdump_fdt import auto_hole_size, measured_cpu_node_bytes
from engine.machine.cpu_templates import CpuNodeTemplate
from engine.machine.topology import Machine
from tests.fdt_compare import assert_valid_dtb, cpu_node_order, cpu_nodes, tree_of
from tests.fdt_fixtures import builder_for

DATA = Path(__file__).resolve().parent / "data"
MIB = 1 << 20
KEXEC_PROPS = ("bootargs", "linux,elfcorehdr", "linux,usable-memory-range")


def used(hole: FdtHole) -> bytes:
    # bytes past the used area are libfdt leftovers (memmove tails): never compared
    return hole.blob()[: hole.used_bytes]


def hot_add(machine: Machine, core: int | None = None) -> int:
    core = machine.add_core(core)
    for thread in machine.threads_of(core):
        machine.online_thread(thread)
    return core


# -------------------------------------------------------------------- load
def test_load_copies_the_fdt_and_sets_totalsize_to_the_hole_size():
    blob = builder_for(Machine(smt=8, cores_present=4, cores_possible=8)).build()
    hole = FdtHole(address=0x1F00_0000, size_bytes=MIB)
    assert hole.load(blob)
    assert libfdt.Fdt(hole.blob()).totalsize() == MIB
    assert hole.used_bytes == len(blob) and hole.free_bytes == MIB - len(blob)
    assert tree_of(hole.packed()) == tree_of(blob)
    assert_valid_dtb(hole.blob())


def test_load_of_a_blob_larger_than_the_hole_fails_and_changes_nothing():
    m = Machine(smt=8, cores_present=4, cores_possible=8)
    small = builder_for(m).build()
    hole = FdtHole(size_bytes=len(small) + 100)
    assert hole.load(small)
    before, generation = hole.blob(), hole.generation
    m.add_core()
    assert not hole.load(builder_for(m).build())
    assert hole.blob() == before and hole.generation == generation and hole.loaded


# ------------------------------------------------------ literal algorithm
def test_literal_update_leaves_nodes_and_properties_in_reverse_order():
    # libfdt's fdt_add_subnode and fdt_setprop both insert first: re-adding reverses
    m = Machine(smt=8, cores_present=3, cores_possible=8)
    hole = FdtHole(size_bytes=MIB)
    hole.load(builder_for(m).build())
    hot_add(m, 6)  # live order: 6, 0, 1, 2
    assert hole.update_cpus(m, fast=False) == UpdateOutcome.UPDATED
    assert cpu_node_order(hole.blob()) == [
        "PowerPC,POWER9@10",
        "PowerPC,POWER9@8",
        "PowerPC,POWER9@0",
        "PowerPC,POWER9@30",
    ]
    name, props = hole.cpu_nodes()[0]
    template = m.template.props_for(2, 8)
    assert list(props.items()) == template[::-1]
    assert hole.fdt_threads() == frozenset(range(24)) | frozenset(range(48, 56))


@pytest.mark.parametrize("fast", [False, True], ids=["literal", "fast"])
def test_in_place_hot_add_of_four_cores_gives_the_qemu_smp12_cpu_nodes(fast):
    m = machine_from_dtb(DATA / "pseries_power9_smp8_max32.dtb")
    hole = FdtHole(size_bytes=MIB)
    assert hole.load(builder_for(m).build())
    for _ in range(4):
        hot_add(m)
        assert hole.update_cpus(m, fast=fast) == UpdateOutcome.UPDATED
    want = cpu_nodes((DATA / "pseries_power9_smp12_max32.dtb").read_bytes())
    assert cpu_nodes(hole.blob()) == want
    assert_valid_dtb(hole.blob())
    assert_valid_dtb(hole.packed())


def test_fast_and_literal_agree_on_the_smp12_hot_add_byte_for_byte():
    machines = [machine_from_dtb(DATA / "pseries_power9_smp8_max32.dtb") for _ in range(2)]
    holes = [FdtHole(size_bytes=MIB) for _ in range(2)]
    for m, hole in zip(machines, holes, strict=True):
        hole.load(builder_for(m).build())
    for _ in range(4):
        outcomes = []
        for fast, m, hole in zip((False, True), machines, holes, strict=True):
            hot_add(m)
            outcomes.append(hole.update_cpus(m, fast=fast))
        assert outcomes[0] == outcomes[1]
        assert used(holes[0]) == used(holes[1])


def test_cache_nodes_under_cpus_survive_the_update():
    fdt = libfdt.Fdt((DATA / "pseries_power9_smp8_max32.dtb").read_bytes())
    fdt.resize(fdt.totalsize() + 256)
    cache = fdt.add_subnode(fdt.path_offset("/cpus"), "l3-cache@3000")
    fdt.setprop(cache, "device_type", b"cache\0")
    fdt.pack()
    m = machine_from_dtb(bytes(fdt.as_bytearray()), source="cache.dtb")
    holes = [FdtHole(size_bytes=MIB) for _ in range(2)]  # [literal, fast]
    for fast, hole in zip((False, True), holes, strict=True):
        hole.load(builder_for(m).build())
        hole.update_cpus(m, fast=fast)
    hot_add(m)
    for fast, hole in zip((False, True), holes, strict=True):
        assert hole.update_cpus(m, fast=fast) == UpdateOutcome.UPDATED
    assert used(holes[0]) == used(holes[1])
    assert tree_of(holes[1].blob())["/cpus/l3-cache@3000"] == {"device_type": b"cache\0"}
    assert len(holes[1].cpu_nodes()) == 9


def test_update_with_nothing_to_do_reports_unchanged():
    m = Machine(smt=4, cores_present=2, cores_possible=4)
    hole = FdtHole(size_bytes=MIB)
    hole.load(builder_for(m).build())
    assert hole.update_cpus(m, fast=False) == UpdateOutcome.UPDATED  # properties reversed
    generation = hole.generation
    assert hole.update_cpus(m, fast=False) == UpdateOutcome.UNCHANGED
    assert hole.update_cpus(m, fast=True) == UpdateOutcome.UNCHANGED
    assert hole.generation == generation


def test_fast_path_defers_to_literal_when_padding_would_come_from_outside_the_node():
    # the first property set has padding and the node is still empty: libfdt's padding
    # bytes would be whatever follows the node, so only the literal algorithm knows them
    base = CpuNodeTemplate.builtin("POWER9")
    props = (("status", b"okay\0"), *((n, v) for n, v in base.props if n != "status"))
    odd = CpuNodeTemplate("POWER9", base.base_name, props)
    machines = [Machine(smt=2, cores_present=2, cores_possible=6, template=odd) for _ in "ab"]
    holes = [FdtHole(size_bytes=MIB) for _ in "ab"]
    for m, hole in zip(machines, holes, strict=True):
        hole.load(builder_for(m).build())
    for core in (4, 2, 5):
        for fast, m, hole in zip((False, True), machines, holes, strict=True):
            hot_add(m, core)
            assert hole.update_cpus(m, fast=fast) == UpdateOutcome.UPDATED
        assert used(holes[0]) == used(holes[1])


# ------------------------------------------------------------- properties
@st.composite
def hotplug_sequences(draw):
    hole_nodes = draw(st.integers(0, 7))  # room for this many more SMT2 nodes, about
    slack = draw(st.sampled_from([0, 1, 100, 635]))
    ops = draw(st.lists(st.tuples(st.booleans(), st.integers(0, 7)), min_size=1, max_size=10))
    return hole_nodes, slack, ops


def apply(m: Machine, add: bool, core: int) -> bool:
    if add:
        if core in m.present_cores:
            return False
        hot_add(m, core)
        return True
    if core not in m.present_cores or len(m.present_cores) == 1:
        return False
    m.remove_core(core)
    return True


@settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hotplug_sequences())
def test_hole_after_any_hotplug_sequence_is_a_fresh_kdump_fdt_or_reported_nospace(case):
    hole_nodes, slack, ops = case
    machines = [Machine(smt=2, cores_present=2, cores_possible=8) for _ in range(2)]
    builder = builder_for(machines[0])
    blob = builder.build()
    size = len(blob) + hole_nodes * measured_cpu_node_bytes(machines[0]) + slack
    holes = [FdtHole(size_bytes=size) for _ in range(2)]  # [literal, fast]
    for hole in holes:
        assert hole.load(blob)
    for add, core in ops:
        for m in machines:
            applied = apply(m, add, core)
        if not applied:
            continue
        befores = [h.blob() for h in holes]
        outcomes = [
            h.update_cpus(m, fast=f) for h, m, f in zip(holes, machines, (False, True), strict=True)
        ]
        # the fast path reports NOSPACE exactly when the literal one does, and leaves the
        # same used bytes (header, reservation map, struct and strings blocks)
        assert outcomes[0] == outcomes[1]
        assert used(holes[0]) == used(holes[1])
        if outcomes[0] == UpdateOutcome.NOSPACE:
            for hole, before in zip(holes, befores, strict=True):
                assert hole.stale and hole.blob() == before
                assert libfdt.Fdt(hole.blob()).path_offset("/cpus") > 0
            continue
        fresh = builder.build()
        for hole in holes:
            assert not hole.stale
            assert cpu_nodes(hole.blob()) == cpu_nodes(fresh)
            chosen, want = tree_of(hole.blob())["/chosen"], tree_of(fresh)["/chosen"]
            assert {k: chosen[k] for k in KEXEC_PROPS} == {k: want[k] for k in KEXEC_PROPS}
            threads = {t for c in machines[0].present_cores for t in machines[0].threads_of(c)}
            assert hole.fdt_threads() == threads
    for hole in holes:
        assert_valid_dtb(hole.blob())


# ------------------------------------------------------------- hole sizing
def test_rfc_one_mib_hole_holds_1398_power9_smt8_cores():
    # a POWER9 SMT8 LPAR with 2048 possible cores: its /cpus DRC arrays alone take
    # 2048 entries; each core node is 708 bytes of structure (measured)
    m = Machine(smt=8, cores_present=1, cores_possible=2048)
    node = measured_cpu_node_bytes(m)
    one_core = len(builder_for(m).build())
    capacity = 1 + (MIB - one_core) // node
    assert (node, capacity) == (708, 1398)  # a change here is a sizing regression

    full = Machine(smt=8, cores_present=capacity, cores_possible=2048)
    builder = builder_for(full)
    assert FdtHole(size_bytes=MIB).load(builder.build())
    full.add_core()
    assert len(builder.build()) > MIB
    assert not FdtHole(size_bytes=MIB).load(builder.build())


def test_auto_sized_hole_holds_exactly_the_possible_cores():
    m = Machine(smt=8, cores_present=8, cores_possible=64)
    blob = builder_for(m).build()
    hole = FdtHole(size_bytes=auto_hole_size(m, len(blob)))
    assert hole.load(blob)
    assert hole.update_cpus(m) == UpdateOutcome.UPDATED
    while len(m.present_cores) < m.cores_possible:
        hot_add(m)
        assert hole.update_cpus(m) == UpdateOutcome.UPDATED
    # 56 added cores x (782 estimated - 708 real bytes) + the 4096 spare = 8240 left
    assert hole.free_bytes == 56 * (782 - 708) + 4096 == 8240
    assert len(hole.cpu_nodes()) == 64
    assert_valid_dtb(hole.blob())


@pytest.mark.parametrize("fast", [False, True], ids=["literal", "fast"])
def test_undersized_hole_reports_nospace_and_keeps_the_old_fdt_readable(fast):
    m = Machine(smt=8, cores_present=8, cores_possible=64)
    blob = builder_for(m).build()
    hole = FdtHole(size_bytes=len(blob) + 500)  # less than one 708-byte core node
    assert hole.load(blob)
    assert hole.update_cpus(m, fast=fast) == UpdateOutcome.UPDATED
    before, nodes = hole.blob(), hole.cpu_nodes()
    hot_add(m)
    assert hole.update_cpus(m, fast=fast) == UpdateOutcome.NOSPACE
    assert hole.stale and hole.blob() == before
    assert hole.cpu_nodes() == nodes and 64 not in hole.fdt_threads()
    assert_valid_dtb(hole.blob())
    m.remove_core(8)
    assert hole.update_cpus(m, fast=fast) == UpdateOutcome.UNCHANGED
    assert not hole.stale
