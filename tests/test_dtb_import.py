"""machine_from_dtb: real QEMU pseries dumps in, a Machine out; anything wrong, one InputError."""

from __future__ import annotations

import struct
from pathlib import Path

import libfdt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.devicetree.dtb_import import machine_from_dtb
from engine.devicetree.kdump_fdt import KdumpFdtBuilder
from engine.errors import InputError
from engine.machine.topology import GIB
from tests.fdt_compare import assert_valid_dtb, cpu_nodes, diff, semantic, tree_of, without

DATA = Path(__file__).resolve().parent / "data"
SMP8 = DATA / "pseries_power9_smp8_max32.dtb"
KEXEC_PROPS = ("/chosen:bootargs", "/chosen:linux,elfcorehdr", "/chosen:linux,usable-memory-range")

# tests/data/README.md
TABLE = [
    ("pseries_power9_smp1_max1.dtb", "POWER9", 1, 1),
    ("pseries_power9_smp8_max32.dtb", "POWER9", 8, 32),
    ("pseries_power9_smp12_max32.dtb", "POWER9", 12, 32),
    ("pseries_power8_smp4_max16.dtb", "POWER8", 4, 16),
    ("pseries_power10_smp4_max8.dtb", "POWER10", 4, 8),
]


def kdump_blob(machine) -> bytes:
    return KdumpFdtBuilder(
        machine,
        bootargs="maxcpus=1",
        elfcorehdr_addr=0x2000_0000,
        elfcorehdr_size=0x1_0000,
        crash_base=0x1000_0000,
        crash_size=0x2000_0000,
    ).build()


@pytest.mark.parametrize(("name", "model", "present", "possible"), TABLE)
def test_import_reproduces_cpu_model_and_present_possible_cores(name, model, present, possible):
    m = machine_from_dtb(DATA / name)
    assert (m.cpu_model, m.cores_present, m.cores_possible) == (model, present, possible)
    assert m.present_cores == tuple(range(present))
    assert m.smt == 1
    assert m.memory_bytes == 2 * GIB and m.memory_block_bytes == 256 << 20


@pytest.mark.parametrize("name", [row[0] for row in TABLE])
def test_kdump_fdt_of_imported_machine_keeps_every_source_node_and_property(name):
    source = (DATA / name).read_bytes()
    blob = kdump_blob(machine_from_dtb(DATA / name))
    assert_valid_dtb(blob)
    assert cpu_nodes(blob) == cpu_nodes(source)
    # and the rest of the tree too: only the random seed goes, only kexec's props come
    assert (
        diff(
            without(tree_of(source), "/chosen:rng-seed"),
            semantic(without(tree_of(blob), *KEXEC_PROPS)),
        )
        == []
    )


def test_import_accepts_bytes_and_names_the_source_in_errors():
    m = machine_from_dtb(SMP8.read_bytes(), source="guest.dtb")
    assert m.cores_present == 8
    with pytest.raises(InputError, match=r"^guest\.dtb: "):
        machine_from_dtb(b"\xd0\x0d\xfe\xed" + bytes(60), source="guest.dtb")


def test_missing_file_is_an_input_error():
    with pytest.raises(InputError, match=r"nope\.dtb: cannot read the file"):
        machine_from_dtb("nope.dtb")


def edited(edit) -> bytes:
    """The smp8 dump after ``edit(fdt)`` with pylibfdt, packed."""
    fdt = libfdt.Fdt(SMP8.read_bytes())
    fdt.resize(fdt.totalsize() + 4096)
    edit(fdt)
    fdt.pack()
    return bytes(fdt.as_bytearray())


def cpu_offsets(fdt) -> list[int]:
    cpus = fdt.path_offset("/cpus")
    out, child = [], fdt.first_subnode(cpus, quiet=(libfdt.NOTFOUND,))
    while child >= 0:
        out.append(child)
        child = fdt.next_subnode(child, quiet=(libfdt.NOTFOUND,))
    return out


def drop_cpu_nodes(fdt):
    while offsets := cpu_offsets(fdt):
        fdt.del_node(offsets[0])


def three_threads(fdt):
    fdt.setprop(cpu_offsets(fdt)[2], "ibm,ppc-interrupt-server#s", struct.pack(">3I", 2, 3, 4))


def core_beyond_possible(fdt):
    fdt.setprop(fdt.path_offset("/cpus"), "ibm,drc-indexes", struct.pack(">5I", 4, 1, 2, 3, 4))


def duplicate_reg(fdt):
    node = cpu_offsets(fdt)[3]
    fdt.setprop(node, "reg", struct.pack(">I", 1))
    fdt.setprop(node, "ibm,ppc-interrupt-server#s", struct.pack(">I", 1))


def odd_memory_reg(fdt):
    fdt.setprop(fdt.path_offset("/memory@0"), "reg", bytes(12))


def mixed_models(fdt):
    fdt.set_name(cpu_offsets(fdt)[5], "PowerPC,POWER8@5")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (drop_cpu_nodes, r'^x\.dtb: /cpus: no CPU node \(device_type = "cpu"\)$'),
        (three_threads, r"^x\.dtb: /cpus/PowerPC,POWER9@2: .*3 threads; SMT must be one of"),
        (
            core_beyond_possible,
            r"^x\.dtb: /cpus/PowerPC,POWER9@7: core 7 .* outside the 4 possible",
        ),
        (duplicate_reg, r"^x\.dtb: /cpus/PowerPC,POWER9@3: reg = 1 repeats"),
        (odd_memory_reg, r"^x\.dtb: /memory@0: reg is 12 bytes"),
        (mixed_models, r"^x\.dtb: /cpus/PowerPC,POWER8@5: CPU model POWER8 differs"),
    ],
)
def test_semantic_faults_name_the_file_and_the_node(edit, message):
    with pytest.raises(InputError, match=message):
        machine_from_dtb(edited(edit), source="x.dtb")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 20405), st.integers(0, 255)), min_size=1, max_size=6))
def test_corrupted_dump_gives_a_machine_or_an_input_error_never_a_traceback(flips):
    blob = bytearray(SMP8.read_bytes())
    for offset, value in flips:
        blob[offset] = value
    try:
        m = machine_from_dtb(bytes(blob), source="fuzz.dtb")
    except InputError as err:
        assert str(err).startswith("fuzz.dtb")
        assert "\n" not in str(err)
    else:
        assert 1 <= m.cores_present <= m.cores_possible


def test_a_repeated_import_is_a_fresh_copy_and_a_changed_file_is_read_again(tmp_path: Path) -> None:
    # run imports its from_dtb once per strategy: the import is kept by content
    path = tmp_path / "m.dtb"
    path.write_bytes((DATA / "pseries_power9_smp8_max32.dtb").read_bytes())
    first = machine_from_dtb(path)
    first.add_core()  # a session's changes stay in its own copy
    again = machine_from_dtb(path)
    assert len(first.present_cores) == 9 and len(again.present_cores) == 8
    path.write_bytes((DATA / "pseries_power9_smp12_max32.dtb").read_bytes())
    assert len(machine_from_dtb(path).present_cores) == 12  # new bytes, a new import
    path.write_bytes(b"\xd0\x0d\xfe\xed")  # a refusal is never kept: it raises each time
    for _ in range(2):
        with pytest.raises(InputError, match="m.dtb"):
            machine_from_dtb(path)
