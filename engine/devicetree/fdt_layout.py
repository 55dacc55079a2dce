"""Where an update's nodes sit in the FDT buffer: the ``/cpus`` layout, read from the bytes.

The struct offsets ``engine.devicetree.fdt_fast`` splices at, found with libfdt's
own walkers (``fdt_path_offset``, ``fdt_first_subnode``, ``fdt_next_subnode``) and
by walking tokens, and the raw header updates a splice makes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import _libfdt

from engine.devicetree.fdt_run import CleanRun

_U32 = struct.Struct(">I")
_OFF_DT_STRUCT, _OFF_DT_STRINGS, _SIZE_DT_STRINGS, _SIZE_DT_STRUCT = 8, 12, 32, 36


@dataclass(slots=True)
class _Child:
    """One child of ``/cpus``, in buffer order."""

    length: int
    cpu: bool
    name: str


@dataclass
class Layout:
    """Where the nodes an update rewrites sit, as struct offsets.

    ``anchor``: where new nodes go (6.10: the first child slot of ``/cpus``; 2021:
    the first child slot of the root). ``children`` (6.10): the ``/cpus`` children
    from ``anchor`` on. ``cpus`` (2021): (offset, length) of ``/cpus``, None if absent.
    ``order``: the live order last written in full, so a repeat is known unchanged.
    """

    form: str
    key: tuple[int, int]
    anchor: int
    children: list[_Child] = field(default_factory=list)
    cpus: tuple[int, int] | None = None
    order: tuple[int, ...] | None = None
    cpu_nodes: int = 0
    clean: CleanRun | None = None  # the run of the last complete update


# ------------------------------------------------------------------ buffer
def _header(buf: bytearray, field: int) -> int:
    return _U32.unpack_from(buf, field)[0]


def _used(buf: bytearray) -> int:
    return _header(buf, _OFF_DT_STRINGS) + _header(buf, _SIZE_DT_STRINGS)


def _write(buf: bytearray, pos: int, used: int, data: bytes) -> bool:
    """Put ``data`` at ``pos`` as the new end of the used area; the header follows.
    Bytes past the new end keep what was there (memmove tails are never read)."""
    if pos + len(data) == used and buf[pos:used] == data:
        return False
    buf[pos : pos + len(data)] = data
    delta = pos + len(data) - used
    for f in (_OFF_DT_STRINGS, _SIZE_DT_STRUCT):
        _U32.pack_into(buf, f, _header(buf, f) + delta)
    return True


def _merged(children: list[_Child]) -> list[_Child]:
    """Adjacent CPU children as one (an update only ever deletes them all)."""
    out: list[_Child] = []
    for child in children:
        if child.cpu and out and out[-1].cpu:
            out[-1] = _Child(out[-1].length + child.length, True, "")
        else:
            out.append(child)
    return out


def props_end(buf: bytearray, node: int) -> int:
    """Struct offset just past ``node``'s name and properties: where libfdt adds a child."""
    base = _header(buf, _OFF_DT_STRUCT)
    pos = base + node + 4
    pos = (buf.index(0, pos) + 4) & ~3
    while True:
        (token,) = _U32.unpack_from(buf, pos)
        if token == 3:  # FDT_PROP: len, nameoff, value
            (length,) = _U32.unpack_from(buf, pos + 4)
            pos = (pos + 12 + length + 3) & ~3
        elif token == 4:  # FDT_NOP
            pos += 4
        else:
            return pos - base


def is_cpu_at(buf: bytearray, node: int) -> bool:
    """``device_type = "cpu"``, compared like the kernel's ``strcmp(prop->data, "cpu")``."""
    value = _libfdt.fdt_getprop(buf, node, "device_type")[0]  # [data or None, len]
    return value is not None and bytes(value).split(b"\0", 1)[0] == b"cpu"


def scan(buf: bytearray, form: str, key: tuple[int, int]) -> Layout | None:
    """Read the layout from the bytes (after a load, a literal write or another form)."""
    cpus = _libfdt.fdt_path_offset(buf, "/cpus")
    if form == "2021":
        anchor = props_end(buf, 0)
        if cpus < 0:
            return Layout(form, key, anchor)
        return Layout(form, key, anchor, cpus=(cpus, subtree_end(buf, cpus) - cpus))
    if cpus < 0:
        return None
    layout = Layout(form, key, props_end(buf, cpus))
    child = _libfdt.fdt_first_subnode(buf, cpus)
    children = []
    while child >= 0:
        after = _libfdt.fdt_next_subnode(buf, child)
        end = after if after >= 0 else node_end(buf, child)
        name = _libfdt.fdt_get_name(buf, child)[0]  # [name, len]
        children.append(_Child(end - child, is_cpu_at(buf, child), name))
        child = after
    layout.children = _merged(children)
    return layout


def subtree_end(buf: bytearray, node: int) -> int:
    """Struct offset just past ``node``'s FDT_END_NODE: its next sibling's offset when it
    has one (a libfdt call), else by walking its tokens."""
    after = _libfdt.fdt_next_subnode(buf, node)
    return after if after >= 0 else node_end(buf, node)


def node_end(buf: bytearray, node: int, *, tolerant: bool = False) -> int:
    """Struct offset just past ``node``'s FDT_END_NODE, by walking its tokens.

    A token that is none (FDT_END included) raises ValueError; ``tolerant`` gives the
    end of the struct block instead, and the walk never reads past it (the hole's walk
    of the last ``/cpus`` child, over whatever an update left).
    """
    base = _header(buf, _OFF_DT_STRUCT)
    limit = base + _header(buf, _SIZE_DT_STRUCT) if tolerant else len(buf)
    pos, depth = base + node, 0
    while pos < limit:
        (token,) = _U32.unpack_from(buf, pos)
        pos += 4
        if token == 1:  # FDT_BEGIN_NODE: NUL-terminated name, 4-byte aligned
            depth += 1
            pos = (buf.index(0, pos) + 4) & ~3
        elif token == 2:  # FDT_END_NODE
            depth -= 1
            if depth == 0:
                return pos - base
        elif token == 3:  # FDT_PROP: len, nameoff, value
            (length,) = _U32.unpack_from(buf, pos)
            pos = (pos + 8 + length + 3) & ~3
        elif token != 4:  # not FDT_NOP
            if tolerant:
                break
            raise ValueError(f"bad FDT token {token} at struct offset {pos - 4 - base}")
    if tolerant:
        return limit - base
    raise ValueError(f"the FDT buffer ends inside the node at struct offset {node}")
