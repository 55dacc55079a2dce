"""Bad DTB input of every kind ends as one InputError line that names the file, never a crash.

In-process: hypothesis feeds random bytes and mutations of a real pseries DTB (flipped
bytes, truncations, every header field rewritten) through ``check_dtb`` and
``machine_from_dtb``. Out of process: a few ``python3 -m cli.main inspect BAD`` runs
check exit status 2, one stderr line naming the file, and no traceback.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import libfdt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.devicetree.dtb_check import FDT_MAGIC, check_dtb, read_dtb_file
from engine.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
REAL = DATA / "pseries_power9_smp8_max32.dtb"
BLOB = REAL.read_bytes()
SOURCE = "bad.dtb"
HEADER_FIELDS = 10  # u32 fields of a version-17 header

FAST = settings(
    max_examples=1500,
    deadline=500,  # ms per example: check_dtb is linear, a hang would blow this
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)


def machine_from_dtb(blob: bytes, source: str) -> object:
    from engine.devicetree.dtb_import import machine_from_dtb as real

    return real(blob, source=source)


def assert_one_line_naming(err: InputError, source: str = SOURCE) -> str:
    message = str(err)
    assert message.startswith(f"{source}: "), message
    assert "\n" not in message and "\r" not in message
    assert len(message) < 300
    return message


def check_or_fail(blob: bytes) -> InputError | None:
    """None when ``check_dtb`` accepts the blob; the error (checked for form) otherwise."""
    try:
        check_dtb(blob, SOURCE)
    except InputError as err:
        assert_one_line_naming(err)
        assert ": offset 0x" in str(err)
        return err
    return None


def accepted_blob_is_sound(blob: bytes, *, import_it: bool = True) -> None:
    """What check_dtb accepts, libfdt's own full check accepts and the importer handles."""
    assert libfdt.fdt_check_full(bytearray(blob), len(blob)) == 0
    if not import_it:
        return
    try:
        machine_from_dtb(blob, SOURCE)
    except InputError as err:
        assert_one_line_naming(err)


# ------------------------------------------------------------------ in-process


@settings(FAST, max_examples=1000)
@given(st.binary(max_size=1024))
def test_random_bytes(blob: bytes) -> None:
    if check_or_fail(blob) is None:
        accepted_blob_is_sound(blob)


@settings(FAST, max_examples=800)
@given(st.binary(min_size=36, max_size=512))
def test_random_bytes_behind_a_valid_magic(tail: bytes) -> None:
    blob = struct.pack(">I", FDT_MAGIC) + tail
    if check_or_fail(blob) is None:
        accepted_blob_is_sound(blob)


def flip(flips: list[tuple[int, int]], base: int = 0) -> bytes:
    blob = bytearray(BLOB)
    for at, mask in flips:
        blob[base + at] ^= mask
    return bytes(blob)


FLIPS = st.lists(
    st.tuples(st.integers(0, len(BLOB) - 1), st.integers(1, 255)), min_size=1, max_size=4
)
OFF_STRUCT, SIZE_STRUCT = (
    struct.unpack_from(">I", BLOB, 8)[0],
    struct.unpack_from(">I", BLOB, 36)[0],
)
STRUCT_FLIPS = st.lists(
    st.tuples(st.integers(0, SIZE_STRUCT - 1), st.integers(1, 255)), min_size=1, max_size=3
)


@settings(FAST, max_examples=1500)
@given(FLIPS)
def test_flipped_bytes_of_a_real_dtb(flips: list[tuple[int, int]]) -> None:
    # check_dtb and libfdt only: cheap enough for thousands of cases
    blob = flip(flips)
    if check_or_fail(blob) is None:
        accepted_blob_is_sound(blob, import_it=False)


@settings(FAST, max_examples=150, deadline=2000)
@given(STRUCT_FLIPS)
def test_flipped_structure_bytes_through_the_importer(flips: list[tuple[int, int]]) -> None:
    # flips inside the structure block: names, lengths, values the importer must judge
    blob = flip(flips, OFF_STRUCT)
    if check_or_fail(blob) is None:
        accepted_blob_is_sound(blob)


@settings(FAST, max_examples=400)
@given(st.integers(0, len(BLOB) - 1))
def test_truncated_real_dtb(length: int) -> None:
    err = check_or_fail(BLOB[:length])
    assert err is not None
    assert "truncated" in str(err)


@pytest.mark.parametrize("length", range(0, 44, 4))
def test_truncation_at_every_header_field(length: int) -> None:
    err = check_or_fail(BLOB[:length])
    assert err is not None
    assert "truncated" in str(err)
    with pytest.raises(InputError):
        machine_from_dtb(BLOB[:length], SOURCE)


@settings(FAST, max_examples=600)
@given(st.integers(0, HEADER_FIELDS - 1), st.integers(0, 0xFFFFFFFF))
def test_every_header_field_rewritten(field: int, value: int) -> None:
    blob = bytearray(BLOB)
    struct.pack_into(">I", blob, field * 4, value)
    blob = bytes(blob)
    if check_or_fail(blob) is None:
        accepted_blob_is_sound(blob, import_it=field != 7)  # boot_cpuid: any value parses


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (0, 0x12345678, "bad magic 0x12345678 (expected 0xd00dfeed)"),
        (1, len(BLOB) + 1, f"truncated: header says totalsize {len(BLOB) + 1} but file has"),
        (2, 0xFFFFFF00, "off_dt_struct 0xffffff00 is past the end"),
        (3, 0xFFFFFF00, "off_dt_strings 0xffffff00 is past the end"),
        (4, 0xFFFFFF00, "off_mem_rsvmap 0xffffff00 is past the end"),
        (5, 2, "unsupported version 2"),
        (6, 17, "last_comp_version 17"),
        (8, 0xFFFF, "size_dt_strings 65535 runs past the end"),
        (9, 0xFFFF, "size_dt_struct 65535 runs past the end"),
    ],
)
def test_each_header_field_fault_is_named(field: int, value: int, expected: str) -> None:
    blob = bytearray(BLOB)
    struct.pack_into(">I", blob, field * 4, value)
    with pytest.raises(InputError) as info:
        machine_from_dtb(bytes(blob), SOURCE)
    message = assert_one_line_naming(info.value)
    assert expected in message


def test_machine_from_dtb_rejects_garbage_file(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.dtb"
    bad.write_bytes(os.urandom(300))
    with pytest.raises(InputError) as info:
        machine_from_dtb(read_dtb_file(bad), str(bad))
    assert_one_line_naming(info.value, str(bad))


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_paths(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "nope.dtb" if kind == "missing" else tmp_path
    with pytest.raises(InputError) as info:
        read_dtb_file(path)
    assert_one_line_naming(info.value, str(path))


# --------------------------------------------------------------- subprocesses


def run_inspect(path: Path | str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "inspect", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def bad_files(tmp: Path) -> dict[str, tuple[Path, str]]:
    truncated = tmp / "truncated.dtb"
    truncated.write_bytes(BLOB[:100])
    magic = tmp / "magic.dtb"
    magic.write_bytes(b"\x12\x34\x56\x78" + BLOB[4:])
    noise = tmp / "noise.dtb"
    noise.write_bytes(bytes(range(256)) * 3)
    return {
        "missing": (tmp / "missing.dtb", "no such file"),
        "directory": (tmp, "is a directory"),
        "truncated": (truncated, "truncated: header says totalsize 20406 but file has 100 bytes"),
        "magic": (magic, "bad magic 0x12345678"),
        "noise": (noise, "bad magic"),
    }


def test_cli_inspect_bad_files_exit_2_with_one_line(tmp_path: Path) -> None:
    for name, (path, expected) in bad_files(tmp_path).items():
        done = run_inspect(path)
        assert done.returncode == 2, (name, done.stderr)
        assert done.stdout == "", name
        assert "Traceback" not in done.stderr, name
        lines = done.stderr.splitlines()
        assert len(lines) == 1, (name, done.stderr)
        assert lines[0].startswith(f"kdump-storm: {path}"), (name, lines[0])
        assert expected in lines[0], (name, lines[0])
