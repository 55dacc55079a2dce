"""engine.devicetree.dtb_check: what a sound FDT is, and one precise message per fault."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import libfdt
import pytest

from engine.devicetree.dtb_check import (
    FDT_BEGIN_NODE,
    FDT_END,
    FDT_END_NODE,
    FDT_NOP,
    FDT_PROP,
    check_dtb,
    read_dtb_file,
)
from engine.errors import InputError

DATA = Path(__file__).parent / "data"
REAL_DTBS = sorted(DATA.glob("*.dtb"))


def u32(value: int) -> bytes:
    return struct.pack(">I", value)


def node(name: str) -> bytes:
    raw = name.encode() + b"\0"
    return u32(FDT_BEGIN_NODE) + raw.ljust((len(raw) + 3) & ~3, b"\0")


def prop(nameoff: int, value: bytes) -> bytes:
    padded = value.ljust((len(value) + 3) & ~3, b"\0")
    return u32(FDT_PROP) + u32(len(value)) + u32(nameoff) + padded


END_NODE = u32(FDT_END_NODE)
END = u32(FDT_END)
STRINGS = b"compatible\0reg\0"


def make_fdt(
    structure: bytes,
    strings: bytes = STRINGS,
    *,
    version: int = 17,
    rsv: bytes = b"",
    **overrides: int,
) -> bytes:
    """A DTB laid out like dtc does: header, rsvmap, struct, strings."""
    off_rsv = 40
    rsvmap = rsv + bytes(16)
    off_struct = off_rsv + len(rsvmap)
    off_strings = off_struct + len(structure)
    total = off_strings + len(strings)
    fields = {
        "magic": 0xD00DFEED,
        "totalsize": total,
        "off_dt_struct": off_struct,
        "off_dt_strings": off_strings,
        "off_mem_rsvmap": off_rsv,
        "version": version,
        "last_comp_version": 16,
        "boot_cpuid_phys": 0,
        "size_dt_strings": len(strings),
        "size_dt_struct": len(structure),
    }
    fields.update(overrides)
    header = struct.pack(">10I", *fields.values())
    return header + rsvmap + structure + strings


GOOD_STRUCT = (
    node("")
    + prop(0, b"qemu,pseries\0")
    + node("cpus")
    + prop(11, u32(0))
    + END_NODE
    + END_NODE
    + END
)


def fault(blob: bytes, source: str = "t.dtb") -> str:
    with pytest.raises(InputError) as info:
        check_dtb(blob, source)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{source}: offset 0x")
    return message


@pytest.mark.parametrize("path", REAL_DTBS, ids=lambda p: p.name)
def test_real_pseries_dtbs_pass(path: Path) -> None:
    check_dtb(read_dtb_file(path), str(path))


def test_handmade_tree_passes_and_libfdt_agrees() -> None:
    blob = make_fdt(GOOD_STRUCT)
    check_dtb(blob, "t.dtb")
    assert libfdt.fdt_check_full(bytearray(blob), len(blob)) == 0


def test_nops_and_reservations_are_fine() -> None:
    structure = u32(FDT_NOP) + node("") + u32(FDT_NOP) + END_NODE + u32(FDT_NOP) + END
    check_dtb(make_fdt(structure, rsv=struct.pack(">QQ", 0x1000, 0x2000)), "t.dtb")


@pytest.mark.skipif(shutil.which("dtc") is None, reason="dtc not installed")
def test_version_16_from_dtc_passes(tmp_path: Path) -> None:
    out = tmp_path / "v16.dtb"
    subprocess.run(
        ["dtc", "-q", "-I", "dtb", "-O", "dtb", "-V", "16", "-o", str(out), str(REAL_DTBS[0])],
        check=True,
    )
    blob = out.read_bytes()
    assert struct.unpack_from(">I", blob, 20)[0] == 16
    check_dtb(blob, str(out))


def test_bad_magic() -> None:
    blob = bytearray(make_fdt(GOOD_STRUCT))
    blob[0:4] = u32(0x12345678)
    assert "bad magic 0x12345678 (expected 0xd00dfeed)" in fault(bytes(blob))


def test_short_file() -> None:
    message = fault(b"\xd0\x0d\xfe\xed" + bytes(10))
    assert "truncated: 14 bytes, shorter than the 40-byte device tree header" in message


def test_totalsize_beyond_file() -> None:
    blob = make_fdt(GOOD_STRUCT)
    message = fault(blob[:100])
    assert f"truncated: header says totalsize {len(blob)} but file has 100 bytes" in message
    assert "offset 0x4" in message


@pytest.mark.parametrize("version", [1, 15, 18, 0xFFFFFFFF])
def test_unsupported_version(version: int) -> None:
    message = fault(make_fdt(GOOD_STRUCT, version=version))
    assert f"unsupported version {version}" in message
    assert "offset 0x14" in message


def test_last_comp_version_too_new() -> None:
    message = fault(make_fdt(GOOD_STRUCT, last_comp_version=17))
    assert "last_comp_version 17" in message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("off_dt_struct", 0x10000, "off_dt_struct 0x10000 is past the end"),
        ("off_dt_struct", 58, "off_dt_struct 0x3a is not 4-byte aligned"),
        ("off_dt_strings", 0x10000, "off_dt_strings 0x10000 is past the end"),
        ("off_mem_rsvmap", 44, "off_mem_rsvmap 0x2c is not 8-byte aligned"),
        ("off_mem_rsvmap", 8, "off_mem_rsvmap 0x8 points into the 40-byte header"),
        ("size_dt_strings", 0x10000, "size_dt_strings 65536 runs past the end"),
        ("size_dt_struct", 0x10000, "size_dt_struct 65536 runs past the end"),
        ("totalsize", 12, "totalsize 12, smaller than the 40-byte header"),
    ],
)
def test_header_fields_out_of_bounds(field: str, value: int, expected: str) -> None:
    assert expected in fault(make_fdt(GOOD_STRUCT, **{field: value}))


def test_overlapping_blocks() -> None:
    blob = make_fdt(GOOD_STRUCT)
    off_struct = struct.unpack_from(">I", blob, 8)[0]
    # strings block pointed into the structure block
    message = fault(make_fdt(GOOD_STRUCT, off_dt_strings=off_struct + 4))
    assert "overlaps" in message


def test_unterminated_reservation_map() -> None:
    # the map's (0, 0) entry replaced: the entries run into the struct block, then the end
    blob = bytearray(make_fdt(GOOD_STRUCT))
    blob[40:56] = struct.pack(">QQ", 1, 1)
    blob[56:] = bytes([0x01]) * (len(blob) - 56)
    assert "memory reservation map runs past the end" in fault(bytes(blob))


@pytest.mark.parametrize(
    ("structure", "expected"),
    [
        (node("") + END_NODE, "structure block ends without an FDT_END token"),
        (node("") + END, "FDT_END with 1 node(s) still open"),
        (END_NODE + END, "FDT_END_NODE without a matching FDT_BEGIN_NODE"),
        (END, "FDT_END before any node"),
        (node("") + u32(7) + END_NODE + END, "bad token 0x7"),
        (node("") + prop(0x400, b"x") + END_NODE + END, "property name offset 0x400"),
        (
            node("") + u32(FDT_PROP) + u32(0x7FFFFFF0) + u32(0) + END_NODE + END,
            "property length 2147483632 runs past",
        ),
        (node("") + node("") + END_NODE + END_NODE + END, "empty node name"),
        (node("root") + END_NODE + END, "root node name is not empty"),
        (
            node("") + node("cpus") + END_NODE + prop(0, b"x\0") + END_NODE + END,
            "property after a subnode",
        ),
        (prop(0, b"x\0") + END, "property outside any node"),
        (node("") + END_NODE + node("") + END_NODE + END, "second root node"),
        (u32(FDT_BEGIN_NODE) + b"abcd" * 4, "node name is not NUL-terminated"),
    ],
)
def test_structure_faults(structure: bytes, expected: str) -> None:
    assert expected in fault(make_fdt(structure))


def test_property_name_without_nul() -> None:
    structure = node("") + prop(11, b"") + END_NODE + END
    assert "not NUL-terminated" in fault(make_fdt(structure, strings=b"compatible\0reg"))


def test_junk_after_fdt_end_inside_struct_block() -> None:
    structure = GOOD_STRUCT + u32(FDT_NOP)
    assert "FDT_END at" in fault(make_fdt(structure))


def test_depth_is_bounded() -> None:
    deep = node("") + b"".join(node(f"n{i}") for i in range(100))
    deep += END_NODE * 101 + END
    assert "nested deeper than 64 levels" in fault(make_fdt(deep))


def test_huge_nop_stream_is_linear_and_fails_fast() -> None:
    structure = u32(FDT_NOP) * 200_000  # 800 KB of NOPs, no FDT_END
    assert "ends without an FDT_END" in fault(make_fdt(structure))


def test_read_dtb_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_dtb_file(tmp_path / "missing.dtb")
    with pytest.raises(InputError, match="is a directory"):
        read_dtb_file(tmp_path)
    message = ""
    try:
        read_dtb_file(tmp_path / "missing.dtb")
    except InputError as err:
        message = str(err)
    assert message == f"{tmp_path / 'missing.dtb'}: no such file"


def test_the_gate_also_asks_libfdt_which_rejects_a_nop_after_the_root():
    # the specification allows a NOP between the root's END_NODE and FDT_END and check_dtb
    # passes it; libfdt's fdt_check_full says BADSTRUCTURE, and every later read is libfdt's,
    # so admit_dtb (the one gate) refuses it on one line
    from engine.devicetree.dtb_check import admit_dtb

    structure = node("") + END_NODE + u32(FDT_NOP) + END
    blob = make_fdt(structure)
    check_dtb(blob, "t.dtb")
    with pytest.raises(InputError, match=r"^t\.dtb: header: malformed device tree: "):
        admit_dtb(blob, "t.dtb")
