"""``update_cpus_node()`` without libfdt: the bytes the literal algorithm leaves, spliced.

Both forms delete CPU nodes (``fdt_del_node`` only closes gaps) and then add nodes
at one spot, each new node first among its siblings; so the result is the buffer
with the deleted nodes cut out and, at that spot, the nodes written in reverse
order, each node's bytes a function of the node and of the bytes that follow it
(``fdt_splice.node_bytes``). An update therefore costs one join of cached node
bytes and one copy of the buffer's tail, whatever changed: cores added and
removed in any number and order. An error stops it as libfdt would
(``fdt_splice.first_failing_step``): the nodes written so far, the one being
written with the properties it got, nothing rolled back.

``FastCpus.update`` returns None only when a property name is missing from the
strings block (libfdt would grow it; never for the builder's blobs, which hold
every name) or the tree has no ``/cpus`` under the 6.10 form: the caller then
runs the literal algorithm.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from engine.devicetree.fdt_layout import (
    Layout,
    _Child,
    _header,
    _used,
    _write,
    scan,
)
from engine.devicetree.fdt_run import CleanRun, added_in_front, edit
from engine.devicetree.fdt_splice import (
    END_NODE,
    Props,
    StepError,
    Stop,
    first_failing_step,
    node_bytes,
    node_head,
    node_steps,
    reach_of,
)
from engine.machine.cpu_templates import CpuNodeTemplate

_U32 = struct.Struct(">I")
_OFF_DT_STRUCT, _OFF_DT_STRINGS, _SIZE_DT_STRINGS, _SIZE_DT_STRUCT = 8, 12, 32, 36
_SERVERS = "ibm,ppc-interrupt-server#s"


@dataclass(frozen=True)
class FastResult:
    """What an update did. The CPU nodes' interrupt servers now: ``threads`` in full,
    or (incremental updates) the previous set plus ``gained`` minus ``lost``."""

    changed: bool
    error: StepError | None
    cpu_nodes: int
    threads: frozenset[int] | None = None
    gained: frozenset[int] = frozenset()
    lost: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class _Core:
    name: str
    props: list[tuple[str, bytes]]
    offs: list[int]
    reach: int
    threads: tuple[int, ...]


class FastCpus:
    """Layouts and node-byte caches for one hole's buffer."""

    def __init__(self) -> None:
        self.layout: Layout | None = None
        self._cores: dict[int, _Core] = {}
        self._nodes: dict[tuple[int, bytes], bytes] = {}
        self._key: tuple[int, int] | None = None
        self._template: CpuNodeTemplate | None = None  # keeps id(template) from being reused
        self._strings = b""
        # every core node has the same property names in the same order: their string
        # offsets are looked up once per strings block, not once per core
        self._name_offs: dict[tuple[str, ...], list[int] | None] = {}

    def forget(self, strings: bytes | None = None) -> None:
        """After a load or a literal write: the layout is unknown; caches die with the strings."""
        self.layout = None
        if strings is not None and strings != self._strings:
            self._strings = strings
            self._cores.clear()
            self._nodes.clear()
            self._name_offs.clear()

    # ---------------------------------------------------------------- nodes
    def _core(self, template: CpuNodeTemplate, smt: int, core: int) -> _Core | None:
        info = self._cores.get(core)
        if info is None:
            name = template.node_name(core, smt)
            props = template.live_props(core, smt)
            offs = self._offsets(props)
            if offs is None:
                return None
            servers = dict(props).get(_SERVERS, b"")
            threads = struct.unpack(f">{len(servers) // 4}I", servers)
            info = self._cores[core] = _Core(name, props, offs, reach_of(props), threads)
        return info

    def _offsets(self, props: Props) -> list[int] | None:
        names = tuple(name for name, _ in props)
        if names not in self._name_offs:
            self._name_offs[names] = self._find_offsets(props)
        return self._name_offs[names]

    def _find_offsets(self, props: Props) -> list[int] | None:
        offs = []
        for name, _ in props:
            off = self._strings.find(name.encode("ascii") + b"\0")
            if off < 0:
                return None  # libfdt would add the name to the strings block
            offs.append(off)
        return offs

    def _node(self, core: int, info: _Core, after: bytes) -> bytes:
        ctx = after[: info.reach]
        node = self._nodes.get((core, ctx))
        if node is None:
            node = node_bytes(info.name, info.props, info.offs, ctx)
            self._nodes[(core, ctx)] = node
        return node

    def _add(
        self,
        infos: Sequence[tuple[int, _Core]],
        after: bytes,
        used: int,
        size: int,
        taken: frozenset[str] = frozenset(),
    ) -> tuple[list[bytes], Stop | None, set[int], bool]:
        """Write ``infos`` in order at one spot: (node bytes in write order, the stop,
        threads covered, whether the last node written is a partial non-CPU node)."""
        written: list[bytes] = []
        threads: set[int] = set()
        for core, info in infos:
            if info.name in taken:
                return written, Stop(-1, StepError.EXISTS), threads, False
            node = self._node(core, info, after)
            if used + len(node) > size:
                stop = first_failing_step(node_steps(info.name, info.props), used, size)
                assert stop is not None
                if stop.props < 0:
                    return written, stop, threads, False
                props = info.props[: stop.props]
                written.append(
                    node_bytes(info.name, props, info.offs[: stop.props], after[: info.reach])
                )
                partial = dict(props)
                is_cpu = partial.get("device_type", b"").split(b"\0", 1)[0] == b"cpu"
                if is_cpu and _SERVERS in partial:
                    threads.update(info.threads)
                return written, stop, threads, not is_cpu
            written.append(node)
            threads.update(info.threads)
            used += len(node)
            after = node if len(node) >= 64 else node + after
        return written, None, threads, False

    # --------------------------------------------------------------- update
    def update(
        self,
        buf: bytearray,
        *,
        form: str,
        template: CpuNodeTemplate,
        smt: int,
        live_order: tuple[int, ...],
        cpus_props: Props,
    ) -> FastResult | None:
        key = (id(template), smt)
        if key != self._key:
            self._key, self._template = key, template
            self._cores.clear()
            self._nodes.clear()
        layout = self.layout
        if layout is None or layout.form != form or layout.key != key:
            layout = self.layout = scan(buf, form, key)
            if layout is None:
                return None
        if layout.order == live_order:
            return FastResult(False, None, layout.cpu_nodes)
        if layout.clean is not None:
            done = self._incremental(buf, layout, layout.clean, template, smt, live_order)
            if done is not None:
                return done
        infos = []
        for core in live_order:
            info = self._core(template, smt, core)
            if info is None:
                return None
            infos.append((core, info))
        if form == "2024":
            return self._update_2024(buf, layout, infos, live_order)
        return self._update_2021(buf, layout, infos, live_order, cpus_props)

    def _incremental(
        self,
        buf: bytearray,
        layout: Layout,
        run: CleanRun,
        template: CpuNodeTemplate,
        smt: int,
        order: tuple[int, ...],
    ) -> FastResult | None:
        base, used = _header(buf, _OFF_DT_STRUCT), _used(buf)
        run_end = base + run.run_pos + run.run_len
        tail = bytes(buf[run_end:used])
        # a non-CPU child of /cpus (a half-written node) with an added core's name makes
        # fdt_add_subnode fail with EXISTS: the general path says where
        taken = {c.name for c in layout.children if not c.cpu}
        k = added_in_front(run, order)
        for core in order[:k] if k else set(order) - run.core_set:
            info = self._core(template, smt, core)
            if info is None or info.name in taken:
                return None

        def render(core: int, after: bytes) -> bytes:
            return self._node(core, self._cores[core], after)

        plan = edit(run, order, k, render, tail[:64])
        if plan is None or used + plan.run_len - run.run_len > len(buf):
            return None  # another shape, or it does not fit: the general path says where
        top = plan.rewrite_from
        start = run.run_pos + plan.run_len - sum(map(len, plan.nodes[: top + 1]))
        _write(buf, base + start, used, b"".join(reversed(plan.nodes[: top + 1])) + tail)
        delta = plan.run_len - run.run_len
        if layout.cpus is not None:  # 2021: /cpus holds the run
            layout.cpus = (layout.cpus[0], layout.cpus[1] + delta)
        else:
            first = layout.children[0]
            layout.children[0] = _Child(first.length + delta, True, "")
        core_set = run.core_set  # the old run is dropped: its set is changed in place
        core_set -= plan.removed
        core_set |= plan.added
        layout.clean = CleanRun(run.run_pos, order, plan.nodes, plan.run_len, core_set)
        layout.order, layout.cpu_nodes = order, len(order)
        cores = self._cores
        gained = frozenset(t for c in plan.added for t in cores[c].threads)
        lost = frozenset(t for c in plan.removed for t in cores[c].threads)
        return FastResult(True, None, len(order), gained=gained, lost=lost)

    def _update_2024(
        self, buf: bytearray, layout: Layout, infos: list[tuple[int, _Core]], order: tuple[int, ...]
    ) -> FastResult:
        base, used, size = _header(buf, _OFF_DT_STRUCT), _used(buf), len(buf)
        pos = base + layout.anchor
        pieces, kept, at, cpu_bytes = [], [], pos, 0
        for child in layout.children:
            if child.cpu:
                cpu_bytes += child.length
            else:
                pieces.append(buf[at : at + child.length])
                kept.append(child)
            at += child.length
        rest = b"".join(pieces) + buf[at:used]
        taken = frozenset(c.name for c in kept)
        written, stop, threads, leftover = self._add(infos, rest, used - cpu_bytes, size, taken)
        run = b"".join(reversed(written))
        children = []
        if leftover:  # a partial node without device_type: the next update keeps it
            children.append(_Child(len(written[-1]), False, infos[len(written) - 1][1].name))
        complete = len(run) - (children[0].length if children else 0)
        if complete:
            children.append(_Child(complete, True, ""))
        layout.children = children + kept
        layout.order = order if stop is None else None
        layout.clean = None
        if stop is None:
            layout.clean = _clean(layout.anchor, infos, written)
        changed = _write(buf, pos, used, run + rest)
        return _result(layout, changed, stop, threads, len(written) - leftover)

    def _update_2021(
        self,
        buf: bytearray,
        layout: Layout,
        infos: list[tuple[int, _Core]],
        order: tuple[int, ...],
        cpus_props: Props,
    ) -> FastResult | None:
        base, used, size = _header(buf, _OFF_DT_STRUCT), _used(buf), len(buf)
        pos = base + layout.anchor
        if layout.cpus is None:
            rest, free_used = bytes(buf[pos:used]), used
        else:
            start, length = base + layout.cpus[0], layout.cpus[1]
            rest = bytes(buf[pos:start]) + buf[start + length : used]
            free_used = used - length
        offs = self._offsets(cpus_props)
        if offs is None:
            return None
        layout.order, layout.clean = None, None
        empty = node_head("cpus") + END_NODE
        if free_used + len(empty) > size:  # fdt_add_subnode(/, "cpus") fails: no /cpus at all
            layout.cpus = None
            changed = _write(buf, pos, used, rest)
            return _result(layout, changed, Stop(-1, StepError.NOSPACE), set(), 0)
        cpus = node_bytes("cpus", cpus_props, offs, rest[: reach_of(cpus_props)])
        if free_used + len(cpus) > size:
            stop = first_failing_step(node_steps("cpus", cpus_props), free_used, size)
            assert stop is not None and stop.props >= 0
            k = stop.props
            cpus = node_bytes("cpus", cpus_props[:k], offs[:k], rest[: reach_of(cpus_props)])
            layout.cpus = (layout.anchor, len(cpus))
            changed = _write(buf, pos, used, cpus + rest)
            return _result(layout, changed, stop, set(), 0)
        after = END_NODE + rest[:64]
        written, stop2, threads, leftover = self._add(infos, after, free_used + len(cpus), size)
        node = cpus[:-4] + b"".join(reversed(written)) + END_NODE
        layout.cpus = (layout.anchor, len(node))
        layout.order = order if stop2 is None else None
        if stop2 is None:
            layout.clean = _clean(layout.anchor + len(cpus) - 4, infos, written)
        changed = _write(buf, pos, used, node + rest)
        return _result(layout, changed, stop2, threads, len(written) - leftover)


def _result(
    layout: Layout, changed: bool, stop: Stop | None, threads: set[int], nodes: int
) -> FastResult:
    layout.cpu_nodes = nodes
    return FastResult(changed, stop.error if stop else None, nodes, threads=frozenset(threads))


def _clean(run_pos: int, infos: list[tuple[int, _Core]], written: list[bytes]) -> CleanRun:
    cores = tuple(core for core, _ in infos)
    return CleanRun(run_pos, cores, written, sum(map(len, written)), set(cores))
