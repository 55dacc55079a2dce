"""The FDT hole: load, the kernel's update_cpus_node() in place (literal and fast), NOSPACE."""

from __future__ import annotations

import functools
import struct
from pathlib import Path

import libfdt
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.devicetree.dtb_import import machine_from_dtb
from engine.devicetree.fdt_hole import FORMS, FdtHole, UpdateOutcome
from engine.devicetree.kdump_fdt import auto_hole_size, cpu_node_size, measured_cpu_node_bytes
from engine.machine.cpu_templates import CpuNodeTemplate, cpu_nodes_in_dtb
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
    # every live property, the synthesized `name` last, so first in the buffer
    live = m.template.live_props(2, 8)
    assert live[-1] == ("name", b"PowerPC,POWER9\0")
    assert list(props.items()) == live[::-1]
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


def cache_tree() -> bytes:
    """The QEMU SMP8 dump with PowerVM-style l2-cache/l3-cache nodes under /cpus."""
    fdt = libfdt.Fdt((DATA / "pseries_power9_smp8_max32.dtb").read_bytes())
    fdt.resize(fdt.totalsize() + 512)
    cpus = fdt.path_offset("/cpus")
    for name in ("l3-cache@3000", "l2-cache@2000"):
        cache = fdt.add_subnode(cpus, name)
        fdt.setprop(cache, "device_type", b"cache\0")
        fdt.setprop(cache, "cache-unified", b"")
    fdt.pack()
    return bytes(fdt.as_bytearray())


@pytest.mark.parametrize("form", FORMS)
def test_2024_form_keeps_cpus_cache_nodes_and_the_2021_form_drops_them(form):
    m = machine_from_dtb(cache_tree(), source="cache.dtb")
    holes = [FdtHole(size_bytes=MIB) for _ in range(2)]  # [literal, fast]
    for hole in holes:
        hole.load(builder_for(m).build())
        assert "/cpus/l2-cache@2000" in tree_of(hole.blob())
    hot_add(m)
    for fast, hole in zip((False, True), holes, strict=True):
        assert hole.update_cpus(m, form=form, fast=fast) == UpdateOutcome.UPDATED
    assert used(holes[0]) == used(holes[1])
    tree = tree_of(holes[1].blob())
    caches = {p for p in tree if "cache@" in p}
    if form == "2024":
        assert caches == {"/cpus/l2-cache@2000", "/cpus/l3-cache@3000"}
        assert tree["/cpus/l3-cache@3000"] == {"device_type": b"cache\0", "cache-unified": b""}
    else:
        assert caches == set()  # /cpus deleted and re-added: only CPU nodes come back
        # /cpus got every live property back, its synthesized name included
        assert tree["/cpus"]["name"] == b"cpus\0"
    assert len(holes[1].cpu_nodes()) == 9
    assert_valid_dtb(holes[1].blob())


@pytest.mark.parametrize("form", FORMS)
def test_update_with_nothing_to_do_reports_unchanged(form):
    m = Machine(smt=4, cores_present=2, cores_possible=4)
    hole = FdtHole(size_bytes=MIB)
    hole.load(builder_for(m).build())
    assert hole.update_cpus(m, form=form, fast=False) == UpdateOutcome.UPDATED  # reversed
    generation = hole.generation
    assert hole.update_cpus(m, form=form, fast=False) == UpdateOutcome.UNCHANGED
    assert hole.update_cpus(m, form=form, fast=True) == UpdateOutcome.UNCHANGED
    assert hole.generation == generation


def test_fast_path_matches_libfdt_when_padding_comes_from_outside_the_node():
    # the first property set has padding and the node is still empty: libfdt's padding
    # bytes are whatever follows the node, which the fast path reads from the buffer
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
def fdt_servers(blob: bytes) -> frozenset[int]:
    """Interrupt servers of the CPU nodes, decoded independently of FdtHole."""
    out: set[int] = set()
    for _, props in cpu_nodes_in_dtb(blob):
        servers = dict(props).get("ibm,ppc-interrupt-server#s", b"")
        out.update(struct.unpack(f">{len(servers) // 4}I", servers))
    return frozenset(out)


@st.composite
def change_sets(draw):
    form = draw(st.sampled_from(FORMS))
    smt = draw(st.sampled_from([1, 2]))
    room = draw(st.integers(0, 6))  # about this many more nodes fit in the hole
    slack = draw(st.integers(0, 700))
    updates = draw(
        st.lists(
            st.lists(st.tuples(st.booleans(), st.integers(0, 7)), min_size=1, max_size=5),
            min_size=1,
            max_size=5,
        )
    )
    return form, smt, room, slack, updates


def apply(m: Machine, add: bool, core: int) -> None:
    if add and core not in m.present_cores:
        hot_add(m, core)
    elif not add and core in m.present_cores and len(m.present_cores) > 1:
        m.remove_core(core)


@functools.cache
def two_core_blob(smt: int) -> bytes:
    return builder_for(Machine(smt=smt, cores_present=2, cores_possible=8)).build()


def expected_cpu_nodes(m: Machine) -> dict[str, dict[str, bytes]]:
    t = m.template
    return {t.node_name(c, m.smt): dict(t.props_for(c, m.smt)) for c in m.present_cores}


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(change_sets())
# found by this property: a half-written node left by NOSPACE blocks a later re-add (EXISTS)
@example(case=("2024", 1, 0, 28, [[(True, 2)], [(False, 1)], [(False, 0), (True, 1)]]))
def test_fast_path_equals_libfdt_on_any_multi_core_change_set_including_failures(case):
    # several cores added and removed between two updates, in any order, both forms;
    # hole sizes around the edge, so NOSPACE (and EXISTS after it) come often:
    # 1000 examples of 1-5 updates, i.e. about 3000 change sets
    form, smt, room, slack, updates = case
    m = Machine(smt=smt, cores_present=2, cores_possible=8)
    blob = two_core_blob(smt)
    size = len(blob) + room * measured_cpu_node_bytes(m) + slack
    holes = [FdtHole(size_bytes=size) for _ in range(2)]  # [literal, fast]
    for hole in holes:
        assert hole.load(blob)
    for changes in updates:
        for add, core in changes:
            apply(m, add, core)
        outcomes = [
            h.update_cpus(m, form=form, fast=f) for h, f in zip(holes, (False, True), strict=True)
        ]
        assert outcomes[0] == outcomes[1]
        assert used(holes[0]) == used(holes[1])
        want = fdt_servers(holes[0].blob())
        assert holes[0].fdt_threads() == holes[1].fdt_threads() == want
        assert holes[0].stale == holes[1].stale == outcomes[0].failed
        if not outcomes[0].failed:
            assert cpu_nodes(holes[1].blob()) == expected_cpu_nodes(m)


def test_fast_path_equals_libfdt_on_a_few_change_sets_in_the_quick_suite():
    # a fixed slice of the property above, for runs that skip slow tests
    for form in FORMS:
        m = Machine(smt=2, cores_present=2, cores_possible=8)
        blob = builder_for(m).build()
        size = len(blob) + 3 * measured_cpu_node_bytes(m) + 100
        holes = [FdtHole(size_bytes=size) for _ in range(2)]
        for hole in holes:
            hole.load(blob)
        for changes in ([(True, 5), (True, 3)], [(False, 5), (True, 7), (True, 6)], [(True, 4)]):
            for add, core in changes:
                apply(m, add, core)
            outcomes = [
                h.update_cpus(m, form=form, fast=f)
                for h, f in zip(holes, (False, True), strict=True)
            ]
            assert outcomes[0] == outcomes[1]
            assert used(holes[0]) == used(holes[1])


# ------------------------------------------------------------- hole sizing
def test_rfc_one_mib_hole_holds_1345_power9_smt8_cores():
    # a POWER9 SMT8 LPAR with 2048 possible cores: its /cpus DRC arrays alone take
    # 2048 entries; each core node is 736 bytes of structure (708 + 28 for `name`)
    m = Machine(smt=8, cores_present=1, cores_possible=2048)
    node = measured_cpu_node_bytes(m)
    one_core = len(builder_for(m).build())
    capacity = 1 + (MIB - one_core) // node
    assert (node, capacity) == (736, 1345)  # a change here is a sizing regression

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
    # 56 added cores x (782 estimated - 736 real bytes) + the 4096 spare = 6672 left
    assert hole.free_bytes == 56 * (782 - 736) + 4096 == 6672
    assert len(hole.cpu_nodes()) == 64
    assert_valid_dtb(hole.blob())


def test_kernel_formula_inputs_are_the_properties_an_update_writes():
    # cpu_node_size() = strlen(dn->name) + 5 + sum(strlen(pp->name) + pp->length) over the
    # live node; the node an update writes carries exactly those properties, `name` too
    m = Machine(smt=8, cores_present=2, cores_possible=64)
    hole = FdtHole(size_bytes=MIB)
    hole.load(builder_for(m).build())
    hot_add(m, 63)
    assert hole.update_cpus(m) == UpdateOutcome.UPDATED
    assert all(props["name"] == b"PowerPC,POWER9\0" for _, props in hole.cpu_nodes())
    # the kernel sizes from the first CPU node of the live tree: the DLPAR-added core 63,
    # the last one in the buffer
    name, first = hole.cpu_nodes()[-1]
    assert name == "PowerPC,POWER9@1f8"
    formula = len("PowerPC,POWER9") + 5 + sum(len(k) + len(v) for k, v in first.items())
    assert cpu_node_size(m) == formula == 782
    # and the measured size is the struct bytes the node takes in the hole
    fdt = libfdt.Fdt(hole.blob())
    node = fdt.path_offset("/cpus/PowerPC,POWER9@8")  # first in the buffer: a sibling follows
    after = fdt.next_subnode(node)
    assert after - node == measured_cpu_node_bytes(m) == 736


@pytest.mark.parametrize("fast", [False, True], ids=["literal", "fast"])
def test_update_that_does_not_fit_is_not_rolled_back(fast):
    m = Machine(smt=8, cores_present=8, cores_possible=64)
    blob = builder_for(m).build()
    hole = FdtHole(size_bytes=len(blob) + 500)  # less than one 736-byte core node
    assert hole.load(blob)
    assert hole.update_cpus(m, fast=fast) == UpdateOutcome.UPDATED
    hot_add(m)  # core 8, first in live order
    assert hole.update_cpus(m, fast=fast) == UpdateOutcome.NOSPACE
    assert hole.stale
    # re-added in live order 8, 0, 1, ..., 7 until the room ran out: the new core made
    # it, the last boot-time core did not
    assert 64 in hole.fdt_threads() and 56 not in hole.fdt_threads()
    assert len(hole.cpu_nodes()) == 8
    assert_valid_dtb(hole.blob())
