"""Strict structural check of a flattened device tree, before libfdt or `fdt` ever sees it.

Pure Python and linear in the blob size: every token moves the cursor forward by at
least 4 bytes, the walk is capped at ``size / 4`` tokens and the depth is bounded, so a
hostile file can neither hang nor exhaust memory. Each fault is one ``InputError``
naming the byte offset and what is wrong there.
"""

from __future__ import annotations

import os
import struct
from itertools import pairwise

import libfdt

from engine.errors import InputError
from engine.user_files import read_user_file

FDT_MAGIC = 0xD00DFEED
FDT_BEGIN_NODE = 0x1
FDT_END_NODE = 0x2
FDT_PROP = 0x3
FDT_NOP = 0x4
FDT_END = 0x9

HEADER_BYTES = 40  # version 17 header; version 16 lacks size_dt_struct (36 bytes)
HEADER_V16_BYTES = 36
SUPPORTED_VERSIONS = (16, 17)
MAX_DEPTH = 64  # pseries trees are < 10 deep; libfdt itself copes with far less in practice
MAX_DTB_BYTES = 64 << 20  # a device tree larger than this is not a device tree
MAX_NAME_BYTES = 256  # generous: the spec limits node names to 31 characters before '@'

_U32 = struct.Struct(">I")
_HEADER = struct.Struct(">10I")
_RSV_ENTRY = struct.Struct(">QQ")

# Header field name -> byte offset, so a message can point at the field at fault.
_FIELD_OFFSET = {
    "magic": 0x00,
    "totalsize": 0x04,
    "off_dt_struct": 0x08,
    "off_dt_strings": 0x0C,
    "off_mem_rsvmap": 0x10,
    "version": 0x14,
    "last_comp_version": 0x18,
    "boot_cpuid_phys": 0x1C,
    "size_dt_strings": 0x20,
    "size_dt_struct": 0x24,
}


def _fail(source: str, offset: int, reason: str) -> InputError:
    return InputError(source, reason, where=f"offset {offset:#x}")


def check_dtb(blob: bytes, source: str) -> None:
    """Raise ``InputError`` unless ``blob`` is a structurally sound FDT (version 16 or 17).

    Checks the header, the block offsets, sizes and alignment, that the blocks do not
    overlap, the memory reservation map, and walks the whole structure block (node
    names, property lengths and name offsets, nesting, the final ``FDT_END``).
    """
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise InputError(source, f"expected bytes, got {type(blob).__name__}")
    blob = bytes(blob)
    n = len(blob)
    if n < HEADER_BYTES:
        raise _fail(
            source,
            n,
            f"truncated: {n} bytes, shorter than the {HEADER_BYTES}-byte device tree header",
        )
    (
        magic,
        totalsize,
        off_struct,
        off_strings,
        off_rsvmap,
        version,
        last_comp,
        _boot_cpuid,
        size_strings,
        size_struct,
    ) = _HEADER.unpack_from(blob, 0)

    if magic != FDT_MAGIC:
        raise _fail(source, 0, f"bad magic {magic:#010x} (expected {FDT_MAGIC:#010x})")
    if version not in SUPPORTED_VERSIONS:
        raise _fail(
            source,
            _FIELD_OFFSET["version"],
            f"unsupported version {version} (expected 16 or 17)",
        )
    if last_comp > 16 or last_comp > version:
        raise _fail(
            source,
            _FIELD_OFFSET["last_comp_version"],
            f"unsupported last_comp_version {last_comp} (expected at most 16)",
        )
    hdr = HEADER_BYTES if version >= 17 else HEADER_V16_BYTES
    if totalsize < hdr:
        raise _fail(
            source,
            _FIELD_OFFSET["totalsize"],
            f"header says totalsize {totalsize}, smaller than the {hdr}-byte header",
        )
    if totalsize > MAX_DTB_BYTES:
        raise _fail(
            source,
            _FIELD_OFFSET["totalsize"],
            f"header says totalsize {totalsize}, more than the {MAX_DTB_BYTES} bytes allowed",
        )
    if totalsize > n:
        raise _fail(
            source,
            _FIELD_OFFSET["totalsize"],
            f"truncated: header says totalsize {totalsize} but file has {n} bytes",
        )

    # Block offsets and sizes, all inside [hdr, totalsize).
    _check_block(source, "off_mem_rsvmap", off_rsvmap, None, None, hdr, totalsize, 8)
    struct_size = size_struct if version >= 17 else None
    _check_block(
        source, "off_dt_struct", off_struct, "size_dt_struct", struct_size, hdr, totalsize, 4
    )
    _check_block(
        source, "off_dt_strings", off_strings, "size_dt_strings", size_strings, hdr, totalsize, 1
    )
    if version >= 17:
        if size_struct % 4:
            raise _fail(
                source,
                _FIELD_OFFSET["size_dt_struct"],
                f"size_dt_struct {size_struct} is not a multiple of 4",
            )
        struct_limit = off_struct + size_struct
    else:
        struct_limit = totalsize  # v16 has no struct size: the walk finds the end

    rsv_end = _check_rsvmap(source, blob, off_rsvmap, totalsize)
    strings = (off_strings, off_strings + size_strings)
    struct_end = _walk_struct(source, blob, off_struct, struct_limit, strings)
    if version >= 17 and struct_end != struct_limit:
        raise _fail(
            source,
            struct_end,
            f"FDT_END at {struct_end - 4:#x} but size_dt_struct says the block ends at "
            f"{struct_limit:#x}",
        )
    blocks = [
        ("memory reservation map", off_rsvmap, rsv_end),
        ("structure block", off_struct, struct_end),
        ("strings block", off_strings, off_strings + size_strings),
    ]
    _check_overlap(source, blocks)


def admit_dtb(blob: bytes, source: str) -> None:
    """The one gate a DTB passes before anything reads it: ``check_dtb``, then libfdt.

    libfdt's ``fdt_check_full()`` is stricter than the specification in places
    (a NOP between the root's end and ``FDT_END``), and every later read goes through libfdt, so
    a tree it rejects is rejected here, once, with the file named.
    """
    check_dtb(blob, source)
    err = libfdt.fdt_check_full(bytearray(blob), len(blob))
    if err:
        raise InputError(source, f"malformed device tree: {libfdt.strerror(-err)}", where="header")


def _check_block(
    source: str,
    off_field: str,
    offset: int,
    size_field: str | None,
    size: int | None,
    hdr: int,
    totalsize: int,
    align: int,
) -> None:
    field_at = _FIELD_OFFSET[off_field]
    if offset < hdr:
        raise _fail(source, field_at, f"{off_field} {offset:#x} points into the {hdr}-byte header")
    if offset > totalsize:
        raise _fail(
            source, field_at, f"{off_field} {offset:#x} is past the end (totalsize {totalsize:#x})"
        )
    if offset % align:
        raise _fail(source, field_at, f"{off_field} {offset:#x} is not {align}-byte aligned")
    if size_field is not None and size is not None and offset + size > totalsize:
        raise _fail(
            source,
            _FIELD_OFFSET[size_field],
            f"{size_field} {size} runs past the end: block {offset:#x}..{offset + size:#x} "
            f"but totalsize is {totalsize:#x}",
        )


def _check_rsvmap(source: str, blob: bytes, offset: int, totalsize: int) -> int:
    """Walk the (address, size) pairs up to the (0, 0) terminator; return the map's end."""
    at = offset
    while True:
        if at + _RSV_ENTRY.size > totalsize:
            raise _fail(
                source, at, "memory reservation map runs past the end without its (0, 0) entry"
            )
        address, size = _RSV_ENTRY.unpack_from(blob, at)
        at += _RSV_ENTRY.size
        if address == 0 and size == 0:
            return at
        if address + size > 1 << 64:
            raise _fail(
                source, at - _RSV_ENTRY.size, "memory reservation wraps past the 64-bit limit"
            )


def _string_at(blob: bytes, start: int, limit: int) -> int:
    """Index of the NUL ending the string at ``start`` (searching below ``limit``), or -1."""
    return blob.find(b"\0", start, limit)


def _walk_struct(source: str, blob: bytes, start: int, limit: int, strings: tuple[int, int]) -> int:
    """Walk the token stream from ``start``; return the offset just past ``FDT_END``."""
    unpack = _U32.unpack_from
    str_start, str_end = strings
    str_size = str_end - str_start
    at = start
    depth = 0
    seen_root = False
    # Per open node: has a subnode been seen (properties must come first).
    subnode_seen: list[bool] = []
    max_tokens = (limit - start) // 4 + 1
    for _ in range(max_tokens):
        if at + 4 > limit:
            raise _fail(source, at, "structure block ends without an FDT_END token")
        token = unpack(blob, at)[0]
        token_at = at
        at += 4
        if token == FDT_BEGIN_NODE:
            if seen_root and depth == 0:
                raise _fail(source, token_at, "second root node (FDT_BEGIN_NODE after the root)")
            nul = _string_at(blob, at, min(limit, at + MAX_NAME_BYTES + 1))
            if nul < 0:
                raise _fail(source, at, "node name is not NUL-terminated within bounds")
            if depth > 0 and nul == at:
                raise _fail(source, at, "empty node name")
            if depth == 0 and nul != at:
                raise _fail(source, at, "root node name is not empty")
            if subnode_seen:
                subnode_seen[-1] = True
            depth += 1
            if depth > MAX_DEPTH:
                raise _fail(source, token_at, f"nodes nested deeper than {MAX_DEPTH} levels")
            subnode_seen.append(False)
            seen_root = True
            at = (nul + 1 + 3) & ~3
        elif token == FDT_END_NODE:
            if depth == 0:
                raise _fail(source, token_at, "FDT_END_NODE without a matching FDT_BEGIN_NODE")
            depth -= 1
            subnode_seen.pop()
        elif token == FDT_PROP:
            if depth == 0:
                raise _fail(source, token_at, "property outside any node")
            if at + 8 > limit:
                raise _fail(source, at, "property header runs past the structure block")
            length = unpack(blob, at)[0]
            nameoff = unpack(blob, at + 4)[0]
            if nameoff >= str_size:
                raise _fail(
                    source,
                    at + 4,
                    f"property name offset {nameoff:#x} is outside the strings block "
                    f"({str_size} bytes)",
                )
            if _string_at(blob, str_start + nameoff, str_end) < 0:
                raise _fail(
                    source,
                    at + 4,
                    f"property name at strings offset {nameoff:#x} is not NUL-terminated",
                )
            if subnode_seen[-1]:
                raise _fail(source, token_at, "property after a subnode")
            value_end = at + 8 + length
            if value_end > limit:
                raise _fail(
                    source,
                    at,
                    f"property length {length} runs past the structure block (ends at {limit:#x})",
                )
            at = (value_end + 3) & ~3
        elif token == FDT_NOP:
            pass
        elif token == FDT_END:
            if depth != 0:
                raise _fail(source, token_at, f"FDT_END with {depth} node(s) still open")
            if not seen_root:
                raise _fail(source, token_at, "FDT_END before any node: no root node")
            return at
        else:
            raise _fail(source, token_at, f"bad token {token:#x} in the structure block")
        if at > limit:
            raise _fail(source, token_at, "token runs past the end of the structure block")
    raise _fail(source, at, "structure block has more tokens than its size allows")


def _check_overlap(source: str, blocks: list[tuple[str, int, int]]) -> None:
    ordered = sorted(blocks, key=lambda b: (b[1], b[2]))
    for (name_a, start_a, end_a), (name_b, start_b, end_b) in pairwise(ordered):
        if start_b < end_a and end_b > start_b:
            raise _fail(
                source,
                start_b,
                f"{name_b} ({start_b:#x}..{end_b:#x}) overlaps the {name_a} "
                f"({start_a:#x}..{end_a:#x})",
            )


def read_dtb_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a DTB file; a missing file, a directory, no permission -> ``InputError``."""
    blob = read_user_file(path, max_bytes=MAX_DTB_BYTES)
    if len(blob) > MAX_DTB_BYTES:
        raise InputError(str(path), f"larger than {MAX_DTB_BYTES} bytes: not a device tree")
    return blob
