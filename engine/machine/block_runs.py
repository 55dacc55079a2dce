"""Memory blocks as sorted runs: what the elfcorehdr covers against what is online.

The elfcorehdr's PT_LOAD ranges are the online memory merged into runs at the time
it was written (``Machine.ram_ranges``); so is the machine's online memory now. Both
are short sorted lists of disjoint ``(first, last)`` block runs, and comparing them
is a merge walk over the runs, never a set of all blocks (64k blocks on a 16 TiB
LPAR would make that a 64k-element set per memory event).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

Runs = tuple[tuple[int, int], ...]  # sorted, disjoint (first, last) block runs


class BlockRunSet:
    """A set of block indexes kept as sorted, disjoint, non-adjacent ``[first, last]`` runs
    and their count: what the machine and a capture replay keep of memory, never one entry
    per block (2^20 blocks of a 16 TiB LPAR are one run). ``add``/``discard`` of a block
    already in / not in the set change nothing."""

    __slots__ = ("runs", "_count")

    def __init__(self, count: int = 0) -> None:
        """Blocks ``0 .. count - 1``."""
        self.runs: list[list[int]] = [[0, count - 1]] if count > 0 else []
        self._count = max(count, 0)

    def __len__(self) -> int:
        return self._count

    def __contains__(self, block: object) -> bool:
        if not isinstance(block, int):
            return False
        runs = self.runs
        i = bisect.bisect_right(runs, [block, float("inf")]) - 1  # the last run starting <= block
        return i >= 0 and runs[i][1] >= block

    def copy(self) -> BlockRunSet:
        other = BlockRunSet()
        other.runs = [list(run) for run in self.runs]
        other._count = self._count
        return other

    def add(self, block: int) -> None:
        runs = self.runs
        n = len(runs)
        i = bisect.bisect_left(runs, [block, block])  # the first run starting at or after block
        if (i < n and runs[i][0] == block) or (i > 0 and runs[i - 1][1] >= block):
            return  # already in
        joins_left = i > 0 and runs[i - 1][1] == block - 1
        joins_right = i < n and runs[i][0] == block + 1
        if joins_left and joins_right:
            runs[i - 1][1] = runs[i][1]
            del runs[i]
        elif joins_left:
            runs[i - 1][1] = block
        elif joins_right:
            runs[i][0] = block
        else:
            runs.insert(i, [block, block])
        self._count += 1

    def discard(self, block: int) -> None:
        if block not in self:
            return
        runs = self.runs
        i = bisect.bisect_right(runs, [block, float("inf")]) - 1  # the run holding block
        first, last = runs[i]
        if first == last:
            del runs[i]
        elif block == first:
            runs[i][0] = block + 1
        elif block == last:
            runs[i][1] = block - 1
        else:
            runs[i][1] = block - 1
            runs.insert(i + 1, [block + 1, last])
        self._count -= 1


def runs_cover(outer: Sequence[tuple[int, int]], inner: Sequence[tuple[int, int]]) -> bool:
    """Whether every block of ``inner`` lies in ``outer`` (both sorted and disjoint)."""
    i, n = 0, len(outer)
    for first, last in inner:
        # skip outer runs that end before this inner run starts
        while i < n and outer[i][1] < first:
            i += 1
        if i == n:
            return False
        o_first, o_last = outer[i]
        # outer runs are disjoint and non-adjacent, so one run must hold the whole inner run;
        # adjacent outer runs (not merged) are joined here to be safe
        if o_first > first:
            return False
        while o_last < last:
            if i + 1 < n and outer[i + 1][0] == o_last + 1:
                i += 1
                o_last = outer[i][1]
            else:
                return False
    return True


def runs_of(blocks: Sequence[int]) -> Runs:
    """Sorted disjoint runs of a collection of block indexes (for tests and imports)."""
    out: list[tuple[int, int]] = []
    for block in sorted(set(blocks)):
        if out and out[-1][1] == block - 1:
            out[-1] = (out[-1][0], block)
        else:
            out.append((block, block))
    return tuple(out)


def runs_minus(outer: Sequence[tuple[int, int]], inner: Sequence[tuple[int, int]]) -> Runs:
    """The blocks of ``outer`` that are not in ``inner``, as runs (both sorted, disjoint):
    a merge walk over the runs, never a set of blocks."""
    out: list[tuple[int, int]] = []
    j, n = 0, len(inner)
    for first, last in outer:
        while j < n and inner[j][1] < first:  # inner runs wholly before this one
            j += 1
        at, k = first, j
        while k < n and inner[k][0] <= last and at <= last:
            if inner[k][0] > at:
                out.append((at, inner[k][0] - 1))
            at = max(at, inner[k][1] + 1)
            k += 1
        if at <= last:
            out.append((at, last))
    return _merged(out)


def _merged(runs: list[tuple[int, int]]) -> Runs:
    out: list[tuple[int, int]] = []
    for first, last in runs:
        if out and out[-1][1] + 1 >= first:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return tuple(out)


def blocks_of(runs: Sequence[tuple[int, int]]) -> frozenset[int]:
    """Every block of ``runs`` (for a reader that wants the set; never per event)."""
    return frozenset(block for first, last in runs for block in range(first, last + 1))
