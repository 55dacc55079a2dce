"""The bytes libfdt leaves behind, computed without libfdt, for ``FdtHole``'s fast path.

Two libfdt calls write a node (``scripts/dtc/libfdt/fdt_rw.c``, the kernel's copy of
dtc's libfdt; pylibfdt 1.7.2 is the same code):

- ``fdt_add_subnode()`` splices ``BEGIN_NODE + name (NUL-padded, memset) + END_NODE``
  in after the parent's properties, i.e. first among its children.
- ``fdt_setprop()`` of a new property (``fdt_add_property_()``) splices
  ``12 + align4(len)`` bytes in right after the node name, writes the 12-byte
  header and the value, and leaves the alignment padding holding the bytes that
  were there before (``fdt_splice_()`` memmoves, nothing zeroes): the node's own
  earlier content, or, while the node is still short, the bytes that follow it.

Every splice fails with ``-FDT_ERR_NOSPACE`` when ``used - old + new`` would pass
``totalsize`` (the hole), and then changes nothing. ``fdt_add_subnode()`` fails with
``-FDT_ERR_EXISTS`` first when the parent already has a child of that name.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

_U32 = struct.Struct(">I")
_PROP = struct.Struct(">III")
BEGIN_NODE = _U32.pack(1)
END_NODE = _U32.pack(2)

Props = Sequence[tuple[str, bytes]]


class StepError(StrEnum):
    """The libfdt error an update stopped at (nothing rolled back)."""

    NOSPACE = "FDT_ERR_NOSPACE"
    EXISTS = "FDT_ERR_EXISTS"


def node_head(name: str) -> bytes:
    """``BEGIN_NODE`` and the NUL-padded name, as ``fdt_add_subnode()`` writes them."""
    raw = name.encode("ascii") + b"\0"
    return BEGIN_NODE + raw + b"\0" * (-len(raw) % 4)


def prop_len(value: bytes) -> int:
    return 12 + len(value) + (-len(value) % 4)


def reach_of(props: Props) -> int:
    """How many bytes past the new node's ``END_NODE`` its properties' padding reads.

    The padding of the k-th ``fdt_setprop`` comes from the node's content at that
    moment (``END_NODE`` plus the earlier properties); when that is shorter than the
    property, the padding reads into whatever follows the node.
    """
    reach, content = 0, 4
    for _, value in props:
        length = prop_len(value)
        if len(value) % 4:
            reach = max(reach, length - content)
        content += length
    return reach


def node_bytes(name: str, props: Props, nameoffs: Sequence[int], after: bytes) -> bytes:
    """The node ``fdt_add_subnode`` + one ``fdt_setprop`` per property (in order) leave,
    ``after`` being the bytes that follow the node (at least ``reach_of(props)``).

    Each property lands first in the node, so the node's content after k calls is
    ``piece_k + ... + piece_1 + END_NODE + after``; a piece's padding is whatever that
    content held at its place (``_content_at``), read only for a value whose length is
    not a multiple of 4.
    """
    pieces: list[bytes] = []  # in call order; the node holds them reversed
    below = END_NODE + after
    for (_, value), nameoff in zip(props, nameoffs, strict=True):
        length = len(value)
        piece = _PROP.pack(3, length, nameoff) + value
        pad = -length % 4
        if pad:
            piece += _content_at(pieces, below, 12 + length, pad)
        pieces.append(piece)
    pieces.reverse()
    return node_head(name) + b"".join(pieces) + END_NODE


def _content_at(pieces: list[bytes], below: bytes, start: int, count: int) -> bytes:
    """``count`` bytes at ``start`` of the node's content so far (pieces newest first,
    then ``below``); fewer if the content is shorter, as a slice would give."""
    end = start + count
    seen = bytearray()
    for piece in reversed(pieces):
        seen += piece
        if len(seen) >= end:
            return bytes(seen[start:end])
    seen += below
    return bytes(seen[start:end])


def node_steps(name: str, props: Props) -> list[int]:
    """Bytes each libfdt call of the node adds: ``fdt_add_subnode``, then each property."""
    return [len(node_head(name)) + 4, *(prop_len(value) for _, value in props)]


@dataclass(frozen=True, slots=True)
class Stop:
    """Where a node's writing stopped: ``props`` properties set (-1: the node itself
    was not added), and the error."""

    props: int
    error: StepError


def first_failing_step(steps: Sequence[int], used: int, size: int) -> Stop | None:
    """The step at which ``used`` plus the steps so far would pass ``size``."""
    for i, step in enumerate(steps):
        used += step
        if used > size:
            return Stop(i - 1, StepError.NOSPACE)
    return None
