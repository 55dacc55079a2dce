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
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(eq=False)
class UpdateSpan:
    """One lock-free update of the hole, from its start until it ends."""

    reason: str
    start_s: float
    running: bool = True
    overwritten_s: float | None = None  # when a load's copy landed on it mid-update


@dataclass(eq=False)
class TornUpdate:
    """A lock-free update of the hole in progress; ``readded`` nodes are back so far."""

    span: UpdateSpan
    order: tuple[int, ...]  # core indexes in live-tree order, the order they are re-added
    threads_of_core: dict[int, tuple[int, ...]]
    readded: int = 0
    _cache: tuple[int, frozenset[int]] = field(default=(-1, frozenset()))

    def missing_threads(self, now_s: float) -> frozenset[int]:
        """Threads whose node is not back yet (none once a load's copy landed on the update)."""
        if self.span.overwritten_s is not None and now_s >= self.span.overwritten_s:
            return frozenset()
        if self._cache[0] != self.readded:
            missing = frozenset(
                t for core in self.order[self.readded :] for t in self.threads_of_core[core]
            )
            self._cache = (self.readded, missing)
        return self._cache[1]


def readd_times(
    start_s: float, duration_s: float, deletes: int, nodes: int, calls_per_node: int
) -> list[float]:
    """When each re-added node's last ``fdt_setprop`` returns, in re-add order.

    The update is ``deletes`` calls, then ``calls_per_node`` per node (one
    ``fdt_add_subnode`` and one ``fdt_setprop`` per property), each an equal share.
    """
    total = deletes + nodes * calls_per_node
    if total == 0:
        return []
    step = duration_s / total
    return [start_s + (deletes + (i + 1) * calls_per_node) * step for i in range(nodes)]
