"""Machine topology (cores, SMT threads, memory blocks) and the CPU node templates."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.machine.cpu_templates import CpuNodeTemplate, cpu_nodes_in_dtb
from engine.machine.topology import GIB, MIB, Machine

DATA = Path(__file__).resolve().parent / "data"


def u32s(value: bytes) -> list[int]:
    return list(struct.unpack(f">{len(value) // 4}I", value))


# ------------------------------------------------------------------- cores
def test_boot_cores_are_present_ascending_with_every_thread_online():
    m = Machine(smt=4, cores_present=3, cores_possible=8)
    assert m.present_cores == (0, 1, 2)
    assert m.online_threads == frozenset(range(12))
    assert m.first_thread(2) == 8
    assert list(m.threads_of(2)) == [8, 9, 10, 11]


def test_dlpar_added_core_goes_first_in_live_tree_order_with_threads_offline():
    m = Machine(smt=8, cores_present=2, cores_possible=8)
    assert m.add_core() == 2
    assert m.add_core(5) == 5
    assert m.present_cores == (5, 2, 0, 1)
    assert not set(m.threads_of(5)) & m.online_threads
    m.online_thread(40)
    assert 40 in m.online_threads


def test_remove_core_offlines_its_threads_first():
    m = Machine(smt=2, cores_present=3, cores_possible=4)
    m.remove_core(1)
    assert m.present_cores == (0, 2)
    assert m.online_threads == frozenset({0, 1, 4, 5})
    assert m.add_core() == 1  # lowest absent index


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (lambda m: m.add_core(0), "already present"),
        (lambda m: m.add_core(4), "outside the possible"),
        (lambda m: m.remove_core(3), "not present"),
        (lambda m: m.online_thread(0), "already online"),
        (lambda m: m.online_thread(12), "no present core"),
        (lambda m: m.offline_thread(13), "not online"),
        (lambda m: m.remove_block(99), "not online"),
        (lambda m: m.add_block(), "possible memory blocks"),
    ],
)
def test_impossible_hotplug_operations_raise_value_error(operation, message):
    m = Machine(smt=2, cores_present=2, cores_possible=4, memory_bytes=1 * GIB)
    with pytest.raises(ValueError, match=message):
        operation(m)


def test_all_possible_cores_present_refuses_another_add():
    m = Machine(smt=1, cores_present=2, cores_possible=2)
    with pytest.raises(ValueError, match="all 2 possible cores"):
        m.add_core()


def test_last_core_and_last_online_thread_cannot_go():
    m = Machine(smt=2, cores_present=1, cores_possible=4)
    with pytest.raises(ValueError, match="last present core"):
        m.remove_core(0)
    m.offline_thread(1)
    with pytest.raises(ValueError, match="last online thread"):
        m.offline_thread(0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"smt": 3},
        {"cores_present": 0},
        {"cores_present": 9, "cores_possible": 8},
        {"cores_present": [0, 0]},
        {"cores_present": [8], "cores_possible": 8},
        {"memory_bytes": 300 * MIB},
        {"memory_possible_bytes": 1 * GIB},
        {"cpu_model": "POWER7"},
    ],
)
def test_impossible_machines_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        Machine(**kwargs)


def test_generations_bump_on_every_change_and_copy_is_independent():
    m = Machine(smt=2, cores_present=1, cores_possible=4, memory_possible_bytes=128 * GIB)
    cpu, mem = m.cpu_generation, m.memory_generation
    other = m.copy()
    core = m.add_core()
    m.online_thread(m.first_thread(core))
    m.add_block()
    assert (m.cpu_generation, m.memory_generation) == (cpu + 2, mem + 1)
    assert other.present_cores == (0,) and other.memory_bytes == 64 * GIB


# ------------------------------------------------------------------ memory
def test_boot_memory_is_blocks_zero_to_n_and_ram_ranges_merge():
    m = Machine(memory_bytes=1 * GIB, memory_block_bytes=256 * MIB, memory_possible_bytes=4 * GIB)
    assert m.blocks_online == frozenset(range(4))
    assert m.add_block() == 4
    assert m.add_block(10) == 10
    m.remove_block(2)
    assert m.ram_ranges() == [(0, 512 * MIB), (768 * MIB, 512 * MIB), (10 * 256 * MIB, 256 * MIB)]
    assert m.memory_bytes == 5 * 256 * MIB
    with pytest.raises(ValueError, match="outside the possible blocks"):
        m.add_block(16)


# --------------------------------------------------------------- templates
def test_node_name_is_lowercase_hex_first_thread_like_dtc():
    t = CpuNodeTemplate.builtin("POWER9")
    assert t.node_name(0, 8) == "PowerPC,POWER9@0"
    assert t.node_name(1, 8) == "PowerPC,POWER9@8"
    assert t.node_name(26, 1) == "PowerPC,POWER9@1a"


def test_per_core_properties_follow_the_first_thread():
    props = dict(CpuNodeTemplate.builtin("POWER9").props_for(3, 4))
    assert u32s(props["reg"]) == [12]
    assert u32s(props["ibm,ppc-interrupt-server#s"]) == [12, 13, 14, 15]
    assert u32s(props["ibm,ppc-interrupt-gserver#s"]) == [12, 0, 13, 0, 14, 0, 15, 0]
    assert u32s(props["ibm,my-drc-index"]) == [0x10000000 + 12]


@pytest.mark.parametrize(
    ("model", "dtb", "count"),
    [
        ("POWER8", "pseries_power8_smp4_max16.dtb", 4),
        ("POWER9", "pseries_power9_smp12_max32.dtb", 12),
        ("POWER10", "pseries_power10_smp4_max8.dtb", 4),
    ],
)
def test_builtin_template_reproduces_every_qemu_core_node(model, dtb, count):
    t = CpuNodeTemplate.builtin(model)
    nodes = cpu_nodes_in_dtb((DATA / dtb).read_bytes())
    assert len(nodes) == count
    for core, (name, props) in enumerate(nodes):
        assert t.node_name(core, 1) == name
        assert t.props_for(core, 1) == props  # same properties, same order, same bytes


def test_qemu_power9_core_node_has_29_properties():
    assert len(CpuNodeTemplate.builtin("POWER9").props) == 29


def test_template_refuses_a_property_twice():
    with pytest.raises(ValueError, match="twice"):
        CpuNodeTemplate.from_node("PowerPC,POWER9@0", [("reg", b"\0" * 4), ("reg", b"\0" * 4)])


@settings(max_examples=200, deadline=None)
@given(ops=st.lists(st.tuples(st.booleans(), st.integers(0, 63)), max_size=80))
def test_ram_ranges_kept_incrementally_equal_the_online_blocks_merged(ops):
    m = Machine(
        memory_bytes=8 * 256 * MIB,
        memory_block_bytes=256 * MIB,
        memory_possible_bytes=64 * 256 * MIB,
        cores_present=1,
        cores_possible=1,
        smt=1,
    )
    for add, block in ops:
        if add and block not in m.blocks_online:
            m.add_block(block)
        elif not add and block in m.blocks_online and len(m.blocks_online) > 1:
            m.remove_block(block)
        if add and block % 7 == 0 and len(m.blocks_online) < 64:
            m.add_block()  # the lowest absent block
    merged: list[list[int]] = []
    for b in sorted(m.blocks_online):
        if merged and b == merged[-1][1] + 1:
            merged[-1][1] = b
        else:
            merged.append([b, b])
    size = 256 * MIB
    assert m.ram_ranges() == [(a * size, (z - a + 1) * size) for a, z in merged]
    lowest_free = min(set(range(64)) - m.blocks_online, default=None)
    if lowest_free is not None:
        assert m.copy().add_block() == lowest_free
