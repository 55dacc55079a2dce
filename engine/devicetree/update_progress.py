"""How far an in-place ``update_cpus_node()`` has got: which CPU nodes are back.

``update_cpus_node()`` (arch/powerpc/kexec/core_64.c; the RFC's copy in
file_load_64.c) first deletes CPU nodes (2021 form: all of ``/cpus``, then
re-adds ``/cpus`` and copies its properties; 2024 form: only the
``device_type = "cpu"`` children), then walks the live ``/cpus`` children with
``for_each_of_cpu_node()`` - live-tree order, DLPAR-added cores first - and for
each does ``fdt_add_subnode()`` and one ``fdt_setprop()`` per property. Until a
core's node is re-added the capture kernel booted from the tree cannot find that
core's threads.

**Simplification**: the hole's bytes are written at once, when the update starts
(the final bytes, NOSPACE included, come from ``FdtHole.update_cpus``); only the
*progress* is spread over the update's modelled duration, one libfdt call at a
time, each the same share of it. A core counts as back once its last property is
set.

The progress is a function of time, not a SimPy event per node: an update of N
nodes costs O(1) events and its readiness one segment (``TornCount`` gives the
exact integral of the torn threads over any interval), so a storm of N core adds
stays O(N^2) in arithmetic only, never in events or segments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter


@dataclass(eq=False)
class UpdateSpan:
    """One lock-free update of the hole, from its start until it ends."""

    reason: str
    start_s: float
    running: bool = True
    overwritten_s: float | None = None  # when a load's copy landed on it mid-update


@dataclass(eq=False)
class TornUpdate:
    """A lock-free update of the hole in progress, its progress a function of time.

    The update is ``deletes`` libfdt calls, then ``calls_per_node`` per node (one
    ``fdt_add_subnode`` and one ``fdt_setprop`` per property), each ``step_s`` long;
    node ``i`` (in ``order``) is back when its last call returns, ``node_back_s(i)``.
    """

    span: UpdateSpan
    order: tuple[int, ...]  # core indexes in live-tree order, the order they are re-added
    smt: int  # threads per core: thread t belongs to core t // smt
    deletes: int
    calls_per_node: int
    step_s: float

    @classmethod
    def spread(
        cls,
        span: UpdateSpan,
        order: tuple[int, ...],
        smt: int,
        duration_s: float,
        deletes: int,
        calls_per_node: int,
    ) -> TornUpdate:
        total = deletes + len(order) * calls_per_node
        return cls(span, order, smt, deletes, calls_per_node, duration_s / total if total else 0.0)

    @property
    def start_s(self) -> float:
        return self.span.start_s

    @property
    def end_s(self) -> float:
        """When the last node is back (the update's end)."""
        if not self.order:
            return self.start_s + self.deletes * self.step_s
        return self.node_back_s(len(self.order) - 1)

    def node_back_s(self, i: int) -> float:
        return self.start_s + (self.deletes + (i + 1) * self.calls_per_node) * self.step_s

    def readded_at(self, t_s: float) -> int:
        """How many nodes are back at ``t_s``: those whose ``node_back_s`` is not after it."""
        nodes = len(self.order)
        if self.step_s <= 0:
            return nodes if t_s >= self.start_s else 0
        guess = ((t_s - self.start_s) / self.step_s - self.deletes) / self.calls_per_node
        k = max(0, min(nodes, int(guess)))
        # the guess is float division: settle it against the times themselves
        while k < nodes and self.node_back_s(k) <= t_s:
            k += 1
        while k > 0 and self.node_back_s(k - 1) > t_s:
            k -= 1
        return k

    def in_force(self, t_s: float) -> bool:
        """Is the half-written tree what a panic at ``t_s`` boots (not yet overwritten)?"""
        over = self.span.overwritten_s
        return over is None or t_s < over

    def is_torn(self, thread: int, t_s: float) -> bool:
        """Is ``thread``'s CPU node deleted and not yet back at ``t_s``?"""
        if not self.in_force(t_s):
            return False
        core = thread // self.smt
        try:
            position = self.order.index(core)
        except ValueError:
            return False
        return position >= self.readded_at(t_s)

    def count(
        self, online_per_core: Sequence[int], missing_in_core: Mapping[int, int]
    ) -> TornCount:
        """The threads lost only to this update (online, in the final FDT), per node.

        ``online_per_core[c]``: online threads of core ``c``; ``missing_in_core``: how
        many of those the final FDT lacks (they are "missing", not also torn).
        """
        order = self.order
        if len(order) > 1:  # one C call for all nodes: an update of 1016 cores is common
            per_node = list(itemgetter(*order)(online_per_core))
        else:
            per_node = [online_per_core[c] for c in order]
        if missing_in_core:
            position = {c: i for i, c in enumerate(order)}
            for core, n in missing_in_core.items():
                if core in position:
                    per_node[position[core]] -= n
        prefix = [0, *accumulate(per_node)]
        return TornCount(self, prefix, [0, *accumulate(prefix)])


@dataclass(frozen=True, eq=False)
class TornCount:
    """Threads lost only to a torn update over time, the per-node counts held fixed.

    ``prefix[k]``: threads of the first ``k`` nodes; ``prefix2[m]``: the sum of
    ``prefix[k]`` for ``k < m``. At ``t`` the torn count is
    ``prefix[-1] - prefix[readded_at(t)]``, a step function of time, integrated here
    exactly in O(1).
    """

    update: TornUpdate
    prefix: list[int]
    prefix2: list[int]

    def at(self, t_s: float) -> int:
        if not self.update.in_force(t_s):
            return 0
        return self.prefix[-1] - self.prefix[self.update.readded_at(t_s)]

    def integral(self, a_s: float, b_s: float) -> float:
        """Thread-seconds torn between ``a_s`` and ``b_s``."""
        u = self.update
        over = u.span.overwritten_s
        if over is not None:
            b_s = min(b_s, over)
        if b_s <= a_s:
            return 0.0
        total, p = self.prefix[-1], self.prefix
        ka, kb = u.readded_at(a_s), u.readded_at(b_s)
        if ka == kb:
            readded_time = p[ka] * (b_s - a_s)
        else:
            # [a, back(ka)) with ka back, whole pieces of one node's length, [back(kb-1), b)
            piece = u.calls_per_node * u.step_s
            inner = (self.prefix2[kb] - self.prefix2[ka + 1]) * piece
            readded_time = (
                p[ka] * (u.node_back_s(ka) - a_s) + inner + p[kb] * (b_s - u.node_back_s(kb - 1))
            )
        return total * (b_s - a_s) - readded_time

    def mean(self, a_s: float, b_s: float) -> float:
        """The torn count averaged over ``[a_s, b_s]`` (its value at ``a_s`` if empty)."""
        if b_s <= a_s:
            return float(self.at(a_s))
        return self.integral(a_s, b_s) / (b_s - a_s)
