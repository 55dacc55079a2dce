"""``FdtHole``: the kdump FDT in a fixed-size buffer, updated in place on CPU hotplug.

``update_cpus`` is the kernel's ``update_cpus_node()`` on the buffer, in either of its
forms (``engine.devicetree.fdt_literal``): "2024" (Linux 6.10, the CPU children of
``/cpus`` only) or "2021" (the RFC's: ``/cpus`` deleted and re-added, so its non-CPU
children such as PowerVM's l2-cache/l3-cache nodes are gone). The nodes written are
the live tree's (``CpuNodeTemplate.live_props``, ``name`` included), in live-tree
order. libfdt puts a new node first among its siblings and a new property first in
its node, so the buffer ends up holding the CPU nodes in reverse live order, each
with its properties reversed.

A libfdt error (``-FDT_ERR_NOSPACE``, or ``-FDT_ERR_EXISTS`` when a half-written node
left by an earlier failure is in the way) is an outcome, never an exception, and is
not rolled back: the tree stays as far as the update got, which is where a crash
finds it ("Errors in the callback is not a reason to rollback state",
kernel/crash_core.c ``crash_handle_hotplug_event()``). Since nodes are re-added in
live order (DLPAR-added first), the cores an overflow loses are boot-time cores.

``fast=True`` computes the same bytes without libfdt (``engine.devicetree.fdt_fast``)
for any change of the core set, failures included; ``fast=False`` runs pylibfdt, the
reference. ``tests/test_fdt_hole.py`` checks the used bytes agree.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from enum import StrEnum

import _libfdt
import libfdt

from engine.devicetree.cpus_children import ChildrenRegion, grown_end, servers_at
from engine.devicetree.fdt_fast import FastCpus
from engine.devicetree.fdt_layout import node_end, props_end, subtree_end
from engine.devicetree.fdt_literal import update_2021, update_2024, wrap
from engine.devicetree.fdt_splice import StepError
from engine.devicetree.live_tree import live_cpus_props
from engine.machine.cpu_templates import is_cpu_node, props_at
from engine.machine.topology import Machine

# (name, properties, interrupt servers) of one /cpus CPU node
_DecodedNode = tuple[str, dict[str, bytes], tuple[int, ...]]

_U32 = struct.Struct(">I")
_OFF_DT_STRUCT, _OFF_DT_STRINGS, _SIZE_DT_STRINGS, _SIZE_DT_STRUCT = 8, 12, 32, 36
FORMS = ("2024", "2021")
CoverageListener = Callable[[frozenset[int], frozenset[int]], None]  # (gained, lost)


class UpdateOutcome(StrEnum):
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    NOSPACE = "nospace"  # -FDT_ERR_NOSPACE: the tree stays as far as the update got
    EXISTS = "exists"  # -FDT_ERR_EXISTS: a half-written node of an earlier failure blocks a re-add

    @property
    def failed(self) -> bool:
        return self in (UpdateOutcome.NOSPACE, UpdateOutcome.EXISTS)


_CPUS_PROPS: dict[tuple[bytes, int, int, bool], list[tuple[str, bytes]]] = {}
_FAILED = {StepError.NOSPACE: UpdateOutcome.NOSPACE, StepError.EXISTS: UpdateOutcome.EXISTS}


class FdtHole:
    """A fixed-size buffer holding the kdump FDT (the RFC's hole, upstream's unpacked FDT)."""

    def __init__(self, address: int = 0, size_bytes: int = 1 << 20) -> None:
        if size_bytes < 64:
            raise ValueError(f"an FDT hole of {size_bytes} bytes cannot hold a device tree")
        self.address = address
        self.size_bytes = size_bytes
        self._buf = bytearray(size_bytes)
        self.loaded = False
        self.stale = False  # the last update failed: the tree is as far as it got
        self.generation = 0
        self._fast = FastCpus()
        self._strings_seen = b""
        self._decoded: tuple[int, list[tuple[str, dict[str, bytes]]]] | None = None
        self._threads: tuple[int, frozenset[int]] | None = None
        self._covered: set[int] = set()
        self._listeners: list[CoverageListener] = []
        self._walked: tuple[int, list[_DecodedNode | None]] | None = None
        # /cpus's children as the last load or literal write left them
        self._region: ChildrenRegion | None = None
        self._cover_version = 0  # bumped whenever _covered changes
        # node bytes -> decoded node; valid while the strings block stays the same
        self._node_decode_cache: dict[bytes, _DecodedNode | None] = {}
        # the blob of the last load and the generation it left: a reload of the same
        # object onto untouched bytes changes nothing
        self._last_load: tuple[bytes | None, int] = (None, -1)

    # ----------------------------------------------------------------- sizes
    def _header(self, offset: int) -> int:
        return _U32.unpack_from(self._buf, offset)[0]

    @property
    def used_bytes(self) -> int:
        """Header, reservation map, struct and strings blocks: up to the end of strings."""
        if not self.loaded:
            return 0
        return self._header(_OFF_DT_STRINGS) + self._header(_SIZE_DT_STRINGS)

    @property
    def free_bytes(self) -> int:
        return self.size_bytes - self.used_bytes

    # ------------------------------------------------------------------ load
    def load(self, blob: bytes) -> bool:
        """Copy a kdump FDT in with ``fdt_open_into`` (totalsize := hole size).

        False, and nothing changes, when it does not fit. Bytes past the copied blob keep
        what the hole held before, as the memory would.
        """
        last_blob, last_generation = self._last_load
        if blob is last_blob and self.generation == last_generation:
            # the hole holds what fdt_open_into wrote from this very blob and nothing
            # since: the copy writes the same bytes (a reload of an unchanged machine)
            return True
        src = bytearray(blob)
        err = libfdt.fdt_check_header(src)
        if err:
            raise ValueError(f"not a device tree: {libfdt.strerror(-err)}")
        if libfdt.fdt_totalsize(src) > self.size_bytes:
            return False
        err = libfdt.fdt_open_into(src, self._buf, self.size_bytes)
        if err == -libfdt.NOSPACE:
            return False
        if err:
            raise ValueError(f"cannot open the device tree: {libfdt.strerror(-err)}")
        self.loaded = True
        self.stale = False
        self._written()
        self._recover()
        self._last_load = (blob, self.generation)
        return True

    def _written(self, *, fast: bool = False) -> None:
        self.generation += 1
        strings = self._strings_block()
        if strings != self._strings_seen:
            self._strings_seen = strings
            self._node_decode_cache.clear()
        if not fast:
            self._fast.forget(strings)

    def _strings_block(self) -> bytes:
        start = self._header(_OFF_DT_STRINGS)
        return bytes(self._buf[start : start + self._header(_SIZE_DT_STRINGS)])

    # ---------------------------------------------------------------- update
    def update_cpus(
        self, machine: Machine, *, form: str = "2024", fast: bool = True
    ) -> UpdateOutcome:
        """``update_cpus_node()`` for ``machine``'s live CPU nodes, in ``form`` "2024" or
        "2021"; a failure leaves the tree as far as it got and marks the hole stale."""
        if not self.loaded:
            raise ValueError("no FDT is loaded in the hole")
        if form not in FORMS:
            raise ValueError(f"update_cpus_node form must be one of {FORMS}, got {form!r}")
        if fast:
            result = self._fast.update(
                self._buf,
                form=form,
                template=machine.template,
                smt=machine.smt,
                live_order=machine.present_cores,
                cpus_props=self._live_cpus_props(machine) if form == "2021" else (),
            )
            if result is not None:
                if result.changed:
                    self._written(fast=True)
                    if result.threads is not None:
                        self._cover(result.threads)
                    else:
                        self._cover_delta(result.gained, result.lost)
                self.stale = result.error is not None
                if result.error is not None:
                    return _FAILED[result.error]
                return UpdateOutcome.UPDATED if result.changed else UpdateOutcome.UNCHANGED
        return self._update_literal(machine, form)

    def _live_cpus_props(self, machine: Machine) -> list[tuple[str, bytes]]:
        # /cpus's live properties depend on the machine's fixed shape, never on its cores
        key = (machine.base_blob, machine.cores_possible, machine.smt, machine.imported)
        props = _CPUS_PROPS.get(key)
        if props is None:
            if len(_CPUS_PROPS) >= 16:
                _CPUS_PROPS.clear()
            props = _CPUS_PROPS[key] = live_cpus_props(machine)
        return props

    def _update_literal(self, machine: Machine, form: str) -> UpdateOutcome:
        buf = self._buf
        used = self.used_bytes
        before = bytes(buf[:used])
        t, smt = machine.template, machine.smt
        nodes = [(t.node_name(c, smt), t.live_props(c, smt)) for c in machine.present_cores]
        if form == "2024":
            error = update_2024(buf, nodes)
        else:
            error = update_2021(buf, self._live_cpus_props(machine), nodes)
        self.stale = error is not None
        unchanged = self.used_bytes == used and buf[:used] == before
        if not unchanged:
            self._written()
            self._recover()
        if error is not None:
            return _FAILED[error]
        return UpdateOutcome.UNCHANGED if unchanged else UpdateOutcome.UPDATED

    def cpu_node_count(self) -> int:
        """CPU nodes in the tree now (from the fast path's layout when it knows it)."""
        layout = self._fast.layout
        if layout is not None and layout.order is not None:
            return layout.cpu_nodes
        return len(self.cpu_nodes())

    # ---------------------------------------------------------------- decode
    def cpu_nodes(self) -> list[tuple[str, dict[str, bytes]]]:
        """The ``device_type = "cpu"`` children of ``/cpus`` in buffer order (cached per write).

        Each child is decoded once per distinct byte content (node bytes are
        the same from one write to the next, only their offsets move), so a
        frame or an outcome check costs a walk over the node offsets.
        """
        if not self.loaded:
            return []
        if self._decoded is None or self._decoded[0] != self.generation:
            nodes = [node for node in self._children() if node is not None]
            self._decoded = (self.generation, [(name, props) for name, props, _ in nodes])
        return self._decoded[1]

    def _children(self) -> list[_DecodedNode | None]:
        """Every /cpus child as (name, props, servers), or None when not a CPU node."""
        if self._walked is not None and self._walked[0] == self.generation:
            return self._walked[1]
        children = self._walk_children()
        self._walked = (self.generation, children)
        return children

    def _walk_children(self) -> list[_DecodedNode | None]:
        buf = self._buf
        cpus = _libfdt.fdt_path_offset(buf, "/cpus")
        if cpus < 0:
            return []
        out = []
        child = _libfdt.fdt_first_subnode(buf, cpus)
        while child >= 0:
            after = _libfdt.fdt_next_subnode(buf, child)
            end = after if after >= 0 else node_end(buf, child, tolerant=True)
            out.append(self._decoded_child(child, end))
            child = after
        return out

    def _decoded_child(self, child: int, end: int) -> _DecodedNode | None:
        """The child at struct offset ``child`` (ending at ``end``), decoded once per content."""
        base = self._header(_OFF_DT_STRUCT)
        key = bytes(self._buf[base + child : base + end])
        cache = self._node_decode_cache
        if key in cache:
            return cache[key]
        decoded = cache[key] = self._decode_child(child)
        return decoded

    def _decode_child(self, child: int) -> _DecodedNode | None:
        fdt = wrap(self._buf)
        props = dict(props_at(fdt, child))
        if not is_cpu_node(props.items()):
            return None
        servers = props.get("ibm,ppc-interrupt-server#s", b"")
        return fdt.get_name(child), props, struct.unpack_from(f">{len(servers) // 4}I", servers)

    def cpu_node_servers(self) -> list[tuple[str, tuple[int, ...]]]:
        """(node name, interrupt servers) of each CPU node, in buffer order (cached per write)."""
        if not self.loaded:
            return []
        return [(name, servers) for name, _, servers in filter(None, self._children())]

    def fdt_threads(self) -> frozenset[int]:
        """Interrupt servers of the CPU nodes in the hole (a copy; see ``covered``)."""
        if self._threads is None or self._threads[0] != self.generation:
            self._threads = (self.generation, frozenset(self._covered))
        return self._threads[1]

    @property
    def covered(self) -> AbstractSet[int]:
        """Interrupt servers of the CPU nodes in the hole now: a live view, not a copy."""
        return self._covered

    def watch_covered(self, listener: CoverageListener) -> None:
        """Call ``listener(gained, lost)`` whenever the set of covered threads changes."""
        self._listeners.append(listener)

    def _cover(self, threads: frozenset[int]) -> None:
        self._cover_version += 1
        old = self._covered
        self._covered = set(threads)
        self._threads = (self.generation, threads)
        if self._listeners:
            gained, lost = threads - old, frozenset(old - threads)
            if gained or lost:
                for listener in self._listeners:
                    listener(gained, lost)

    def _cover_delta(self, gained: frozenset[int], lost: frozenset[int]) -> None:
        self._cover_version += 1
        self._covered -= lost
        self._covered |= gained
        for listener in self._listeners:
            listener(gained, lost)

    def _recover(self) -> None:
        """Cover the threads of the CPU nodes in the hole after a load or a literal write.

        A load whose ``/cpus`` children end with the very bytes decoded last time (a
        reload after cores were added; or the same blob again), onto a coverage unchanged
        since, decodes only the children in front of them and covers their threads as a
        delta: no walk over the old nodes and no set of every thread per load (a storm
        of N reloads of N cores was O(N^2) in both; see ``cpus_children``).
        """
        buf = self._buf
        cpus = _libfdt.fdt_path_offset(buf, "/cpus")
        if cpus < 0:
            self._region = None
            self._cover(frozenset())
            return
        base = self._header(_OFF_DT_STRUCT)
        struct_bytes = self._header(_SIZE_DT_STRUCT)
        start = props_end(buf, cpus)
        end = self._grown_end(cpus, base, start, struct_bytes)
        if end is None:
            end = subtree_end(buf, cpus) - 4
            found: set[int] = set()
            for node in self._children():
                if node is not None:
                    found.update(node[2])
            self._cover(frozenset(found))
        children = bytes(buf[base + start : base + end])
        self._region = ChildrenRegion(
            self._strings_seen, children, struct_bytes, self._cover_version
        )

    def _grown_end(self, cpus: int, base: int, start: int, struct_bytes: int) -> int | None:
        """After new children in front of the last region's: cover their threads and
        return where ``/cpus``'s children end; None (nothing covered) otherwise."""
        prev = self._region
        if prev is None or (prev.strings, prev.cover_version) != (
            self._strings_seen,
            self._cover_version,
        ):
            return None
        end = grown_end(self._buf, prev, base, start, struct_bytes)
        if end is None:
            return None
        boundary = end - len(prev.children)
        found: set[int] = set()
        child = _libfdt.fdt_first_subnode(self._buf, cpus) if boundary > start else boundary
        while 0 <= child < boundary:
            found.update(servers_at(self._buf, child))  # a new node: decoded when shown
            child = _libfdt.fdt_next_subnode(self._buf, child)
        if child != boundary:
            return None
        gained = frozenset(found - self._covered)
        if gained:
            self._cover_delta(gained, frozenset())
        return end

    def blob(self) -> bytes:
        """The whole hole (header totalsize = hole size)."""
        return bytes(self._buf)

    def packed(self) -> bytes:
        """A packed copy of the FDT in the hole, for export."""
        if not self.loaded:
            raise ValueError("no FDT is loaded in the hole")
        copy = bytearray(self._buf[: self.used_bytes])
        libfdt.fdt_set_totalsize(copy, len(copy))
        fdt = libfdt.Fdt(copy)
        fdt.pack()
        return bytes(fdt.as_bytearray())
