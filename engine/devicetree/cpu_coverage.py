"""Which cores the FDT in the hole covers, set against the machine's online threads.

A core whose threads are online but whose node is absent from the FDT is a
core where a panic gets no dump ("Failed to identify boot CPU"); a node whose
threads are all offline is harmless (powerpc keeps removed CPUs in the FDT).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.devicetree.fdt_hole import FdtHole
from engine.machine.topology import Machine


@dataclass(frozen=True, slots=True)
class CoreCoverage:
    """One core: its node in the FDT (or the name it would have) and its online threads."""

    first_thread: int
    name: str
    in_fdt: bool
    threads: tuple[int, ...]  # from the FDT node, else from the machine
    online: frozenset[int]  # which of ``threads`` are online

    @property
    def status(self) -> str:
        """``online`` (covered), ``missing`` (online, no node), ``offline`` (node, no thread up)."""
        if not self.in_fdt:
            return "missing"
        return "online" if self.online else "offline"


def core_coverage(hole: FdtHole, machine: Machine) -> dict[int, CoreCoverage]:
    """Every core node of the hole, plus every core with online threads the hole lacks.

    Keyed by first thread (the node's ``reg``); nodes are read from the hole's
    bytes, never from the machine.
    """
    online = machine.online_threads
    out: dict[int, CoreCoverage] = {}
    for name, servers in hole.cpu_node_servers():
        first = servers[0] if servers else int(name.rpartition("@")[2] or "0", 16)
        out[first] = CoreCoverage(first, name, True, servers, online.intersection(servers))
    for core in machine.present_cores:
        first = machine.first_thread(core)
        if first in out:
            continue
        threads = tuple(machine.threads_of(core))
        up = online.intersection(threads)
        if up:
            name = machine.template.node_name(core, machine.smt)
            out[first] = CoreCoverage(first, name, False, threads, up)
    return out
