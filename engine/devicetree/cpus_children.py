"""``/cpus``'s children as a load left them, and the cheap test that a later load only
put new children in front of them.

kdumpctl reloads after every few DLPAR adds, and each new core's node comes first in the
live tree (``of_attach_node()`` links it as the first child), so a reload's ``/cpus``
is the last one's children with new ones in front. Checking that from the bytes costs a
compare of the old children where they must now sit, and a look at the token after them,
instead of a walk over every node (libfdt's ``fdt_next_subnode()`` over ``/cpus`` took
~0.5 ms at 1016 cores, once per reload).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import _libfdt

from engine.devicetree.fdt_layout import is_cpu_at

_U32 = struct.Struct(">I")
_FDT_END_NODE = 2


@dataclass(frozen=True, slots=True)
class ChildrenRegion:
    """The bytes of ``/cpus``'s children, the strings block and struct block size they
    came with, and the hole's coverage version once their threads were covered."""

    strings: bytes
    children: bytes
    struct_bytes: int
    cover_version: int


def grown_end(
    buf: bytearray, prev: ChildrenRegion, base: int, start: int, struct_bytes: int
) -> int | None:
    """Struct offset where ``/cpus``'s children end, if they end with ``prev``'s bytes
    and only children in front of them changed the struct block's size; else None.

    ``start``: where ``/cpus``'s children begin (just past its properties). The old
    children must sit at the end of the grown region, and ``/cpus``'s FDT_END_NODE
    right after them: then the region is new children followed by the old ones (the
    caller checks that the new ones end exactly where the old ones begin).
    """
    size = len(prev.children)
    end = start + size + struct_bytes - prev.struct_bytes
    if end - size < start or end + 4 > struct_bytes:
        return None
    if _U32.unpack_from(buf, base + end)[0] != _FDT_END_NODE:
        return None
    # startswith at an offset compares in place (a memoryview compares item by item)
    return end if buf.startswith(prev.children, base + end - size) else None


def servers_at(buf: bytearray, node: int) -> tuple[int, ...]:
    """The interrupt servers of the CPU node at struct offset ``node``; () when it is not
    one."""
    if not is_cpu_at(buf, node):
        return ()
    servers = _libfdt.fdt_getprop(buf, node, "ibm,ppc-interrupt-server#s")[0]
    if servers is None:
        return ()
    value = bytes(servers)
    return struct.unpack_from(f">{len(value) // 4}I", value)
