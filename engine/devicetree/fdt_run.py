"""The run of CPU nodes a complete update left, and how a new live order edits it.

After an update that completed, the nodes sit in one run, in reverse live order, each
node's bytes a function of the node and of the bytes after it: its predecessor in
live order, or the tail after the run for the first. A new live order that keeps
the old cores' relative order (the kernel's live tree only ever inserts a DLPAR node
first and unlinks removed ones) changes only the nodes added, and the nodes whose
predecessor changed (their alignment padding may read different bytes); everything
earlier in the buffer stays. ``edit`` works that out in C-speed list operations plus
Python work per changed node; it returns None when the orders do not fit that shape,
and the caller rebuilds the whole run (``FastCpus``'s general path).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# node bytes of ``core`` followed by ``after`` (a prefix of the bytes after it)
Render = Callable[[int, bytes], bytes]


@dataclass
class CleanRun:
    """The nodes of the last complete update, in live order; offsets are struct offsets."""

    run_pos: int  # where the run starts (the node last in live order)
    order: tuple[int, ...]  # the cores, in the live order the run was written for
    nodes: list[bytes]
    run_len: int
    core_set: set[int]


@dataclass(frozen=True)
class Edit:
    cores: list[int]
    nodes: list[bytes]
    run_len: int
    rewrite_from: int  # live index: nodes[: rewrite_from + 1] are rewritten, the rest kept
    added: frozenset[int]
    removed: frozenset[int]


def added_in_front(run: CleanRun, order: tuple[int, ...]) -> int:
    """How many cores ``order`` puts in front of ``run``'s, if that is all it changes
    (a DLPAR add: the kernel links the new node first); 0 otherwise. Two C-speed tuple
    operations, no set of every core."""
    k = len(order) - len(run.order)
    return k if k > 0 and order[k:] == run.order else 0


def edit(
    run: CleanRun, order: tuple[int, ...], front: int, render: Render, tail: bytes
) -> Edit | None:
    """The run for ``order``, or None when it is not ``run`` with cores removed anywhere
    and cores added first. ``front``: ``added_in_front(run, order)``, which the caller
    has already asked; ``tail``: the bytes after the run (context of the first node)."""
    k = front
    if k:  # the common shape: only new cores, in front; the old first node's context moved
        fresh, run_len = _rendered(order[:k], render, tail)
        cores, nodes = list(order), fresh + run.nodes
        top = _settle(cores, nodes, [k] if len(cores) > k else [], k - 1, render, tail)
        added = frozenset(order[:k])
        return Edit(cores, nodes, run.run_len + run_len, top, added, frozenset())
    new_set = set(order)
    removed = frozenset(run.core_set - new_set)
    added = frozenset(new_set - run.core_set)
    cores, nodes = list(run.order), list(run.nodes)
    run_len = run.run_len
    dirty: set[int] = set()  # cores whose predecessor changed
    top = -1  # highest live index (in the new order) whose bytes change
    for core in sorted(removed, key=cores.index, reverse=True):
        i = cores.index(core)
        run_len -= len(nodes[i])
        del cores[i], nodes[i]
        if i < len(cores):
            dirty.add(cores[i])
        if i <= top:
            top -= 1  # an earlier mark moves down with the deletion
        top = max(top, i - 1)  # the removed node's bytes sat just before index i's
    k = len(added)
    if k:
        if set(order[:k]) != added or order[k:] != tuple(cores):
            return None
        fresh, fresh_len = _rendered(order[:k], render, tail)
        run_len += fresh_len
        if cores:
            dirty.add(cores[0])
        cores = [*order[:k], *cores]
        nodes = fresh + nodes
        top = max(top + k, k - 1)
    elif order != tuple(cores):
        return None
    queue = sorted(cores.index(c) for c in dirty)
    top = _settle(cores, nodes, queue, top, render, tail)
    return Edit(cores, nodes, run_len, top, added, removed)


def _rendered(cores: tuple[int, ...], render: Render, tail: bytes) -> tuple[list[bytes], int]:
    """New nodes for ``cores`` (live order), each rendered before the one after it in
    live order sits in the buffer: the last in live order comes just before ``tail``."""
    fresh: list[bytes] = []
    after, size = tail, 0
    for core in cores:
        node = render(core, after)
        fresh.append(node)
        size += len(node)
        after = node
    return fresh, size


def _settle(
    cores: list[int],
    nodes: list[bytes],
    queue: list[int],
    top: int,
    render: Render,
    tail: bytes,
) -> int:
    """Re-render the nodes whose context changed (``queue``: live indexes, ascending),
    and the next one while a node's first 64 bytes change (its padding may read
    them); returns the highest live index rewritten, at most the last."""
    while queue:
        i = queue.pop(0)
        node = render(cores[i], nodes[i - 1] if i else tail)
        if node != nodes[i]:
            if node[:64] != nodes[i][:64] and i + 1 < len(cores) and i + 1 not in queue:
                queue.append(i + 1)
            nodes[i] = node
            top = max(top, i)
    return min(top, len(cores) - 1)
