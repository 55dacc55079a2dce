"""``FdtHole``: the kdump FDT in a fixed-size buffer, updated in place on CPU hot-add.

``update_cpus`` is the kernel's ``update_cpus_node()`` (arch/powerpc/kexec/core_64.c,
May 2024 form) run with pylibfdt, the kernel's own libfdt, on the buffer: delete every
``/cpus`` child whose ``device_type`` is "cpu", then for each live CPU node in live-tree
order ``fdt_add_subnode`` under ``/cpus`` and ``fdt_setprop`` each property in order.
libfdt puts a new node first among its siblings and a new property first in its node,
so the buffer ends up holding the CPU nodes in reverse live order, each with its
properties reversed. A libfdt ``-FDT_ERR_NOSPACE`` is an outcome, never an exception.

The fast path splices one node's bytes in or out of the struct block and leaves the
used bytes (header, reservation map, struct and strings blocks) exactly as the literal
algorithm would; ``tests/test_fdt_hole.py`` checks that byte for byte.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import StrEnum

import _libfdt
import libfdt

from engine.machine.cpu_templates import CpuNodeTemplate, is_cpu_node, props_at
from engine.machine.topology import Machine

# (name, properties, interrupt servers) of one /cpus CPU node
_DecodedNode = tuple[str, dict[str, bytes], tuple[int, ...]]

_U32 = struct.Struct(">I")
_PROP = struct.Struct(">III")
_END_NODE = _U32.pack(2)
_OFF_DT_STRUCT, _OFF_DT_STRINGS, _SIZE_DT_STRINGS, _SIZE_DT_STRUCT = 8, 12, 32, 36


class UpdateOutcome(StrEnum):
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    NOSPACE = "nospace"


class _ContextDependent(Exception):
    """libfdt's padding leftovers in this node would come from bytes outside the node."""


def _wrap(buf: bytearray) -> libfdt.Fdt:
    # pylibfdt's constructor copies the buffer; the hole must be worked on in place
    fdt = libfdt.Fdt.__new__(libfdt.Fdt)
    fdt._fdt = buf
    return fdt


def literal_node_bytes(name: str, props: list[tuple[str, bytes]], nameoffs: list[int]) -> bytes:
    """The bytes ``fdt_add_subnode`` + one ``fdt_setprop`` per property leave for a node.

    Each ``fdt_setprop`` of a new property splices ``12 + align4(len)`` bytes in right
    after the node name, writes the 12-byte header and the value, and leaves the
    alignment padding holding whatever bytes were there before (libfdt does not zero
    it). Those bytes are the node's own earlier content, unless the node is still too
    short: then they would come from what follows the node, and ``_ContextDependent``
    is raised (the fast path then defers to the literal algorithm).
    """
    content = bytearray(_END_NODE)
    for (_, value), nameoff in zip(props, nameoffs, strict=True):
        length = len(value)
        proplen = 12 + length + (-length % 4)
        if proplen > len(content) and length % 4:
            raise _ContextDependent(name)
        stale = bytes(content[12 + length : proplen])
        content[0:0] = _PROP.pack(3, length, nameoff) + value + stale
    raw = name.encode("ascii") + b"\0"
    return _U32.pack(1) + raw + b"\0" * (-len(raw) % 4) + bytes(content)


@dataclass
class _Layout:
    """Where the CPU nodes sit in the buffer after a literal-form update."""

    key: tuple[int, int]  # (id of the template, smt) the node bytes came from
    order: list[int]  # core indexes in buffer order (reverse live order)
    run_start: int  # buffer offset of the first CPU node
    lengths: list[int]  # bytes of each node, in buffer order


class FdtHole:
    """A fixed-size buffer holding the kdump FDT (the RFC's hole, upstream's unpacked FDT)."""

    def __init__(self, address: int = 0, size_bytes: int = 1 << 20) -> None:
        if size_bytes < 64:
            raise ValueError(f"an FDT hole of {size_bytes} bytes cannot hold a device tree")
        self.address = address
        self.size_bytes = size_bytes
        self._buf = bytearray(size_bytes)
        self.loaded = False
        self.stale = False
        self.generation = 0
        self._layout: _Layout | None = None
        self._node_cache: dict[tuple[int, int, int], bytes] = {}
        self._templates: dict[int, CpuNodeTemplate] = {}
        self._strings_seen = b""
        self._decoded: tuple[int, list[tuple[str, dict[str, bytes]]]] | None = None
        self._threads: tuple[int, frozenset[int]] | None = None
        self._loaded: tuple[int, bytes] | None = None  # (generation, blob) of the last load
        self._walked: tuple[int, list[_DecodedNode | None]] | None = None
        self._load_threads: tuple[bytes, frozenset[int]] | None = None  # reloads of one blob
        # node bytes -> decoded node; valid while the strings block stays the same
        self._node_decode_cache: dict[bytes, _DecodedNode | None] = {}

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
        self._layout = None  # the builder's node bytes are not the literal form
        self._written()
        self._loaded = (self.generation, blob)
        return True

    def _written(self) -> None:
        self.generation += 1
        strings = self._strings_block()
        if strings != self._strings_seen:
            self._strings_seen = strings
            self._node_cache.clear()
            self._node_decode_cache.clear()

    def _strings_block(self) -> bytes:
        start = self._header(_OFF_DT_STRINGS)
        return bytes(self._buf[start : start + self._header(_SIZE_DT_STRINGS)])

    # ---------------------------------------------------------------- update
    def update_cpus(self, machine: Machine, fast: bool = True) -> UpdateOutcome:
        """``update_cpus_node()`` for ``machine``'s live CPU nodes.

        On ``-FDT_ERR_NOSPACE`` the buffer is restored to what it was before the update
        and the hole is marked stale. The kernel edits the FDT in place and would leave
        a half-written tree; we restore so that the previous, complete FDT stays what a
        crash would find (which is also what a kernel working on a copy would leave).
        """
        if not self.loaded:
            raise ValueError("no FDT is loaded in the hole")
        if fast:
            outcome = self._update_fast(machine)
            if outcome is not None:
                return outcome
        return self._update_literal(machine)

    def _update_literal(self, machine: Machine) -> UpdateOutcome:
        buf = self._buf
        used = self.used_bytes
        before = bytes(buf)
        fdt = _wrap(buf)
        template, smt = machine.template, machine.smt
        quiet = (libfdt.NOTFOUND,)
        try:
            cpus = fdt.path_offset("/cpus")
            prev = cpus
            child = fdt.first_subnode(cpus, quiet=quiet)
            while child >= 0:
                dtype = fdt.getprop(child, "device_type", quiet=quiet)
                if isinstance(dtype, int) or bytes(dtype).split(b"\0", 1)[0] != b"cpu":
                    prev = child
                else:
                    fdt.del_node(child)
                if prev == cpus:
                    child = fdt.first_subnode(cpus, quiet=quiet)
                else:
                    child = fdt.next_subnode(prev, quiet=quiet)
            for core in machine.present_cores:
                node = fdt.add_subnode(cpus, template.node_name(core, smt))
                for name, value in template.props_for(core, smt):
                    fdt.setprop(node, name, value)
        except libfdt.FdtException as exc:
            buf[:] = before
            if exc.err != -libfdt.NOSPACE:
                raise
            self.stale = True
            return UpdateOutcome.NOSPACE
        self.stale = False
        unchanged = self.used_bytes == used and buf[:used] == before[:used]
        if not unchanged:
            self._written()
        self._layout = self._literal_layout(machine, fdt, cpus)
        return UpdateOutcome.UNCHANGED if unchanged else UpdateOutcome.UPDATED

    # ------------------------------------------------------------- fast path
    def _node_key(self, machine: Machine) -> tuple[int, int]:
        return (id(machine.template), machine.smt)

    def _literal_node(self, template: CpuNodeTemplate, smt: int, core: int) -> bytes | None:
        """The core's node in the literal form, or None if the fast path cannot make it."""
        key = (id(template), smt, core)
        self._templates[id(template)] = template  # keeps the id from being reused
        node = self._node_cache.get(key)
        if node is None:
            props = template.props_for(core, smt)
            offsets = []
            for name, _ in props:
                offset = self._strings_seen.find(name.encode("ascii") + b"\0")
                if offset < 0:
                    return None  # libfdt would grow the strings block: literal path
                offsets.append(offset)
            try:
                node = literal_node_bytes(template.node_name(core, smt), props, offsets)
            except _ContextDependent:
                return None
            self._node_cache[key] = node
        return node

    def _literal_layout(self, machine: Machine, fdt: libfdt.Fdt, cpus: int) -> _Layout | None:
        """Record where the literal algorithm put the nodes, if the bytes match ours."""
        order = list(reversed(machine.present_cores))
        nodes = [self._literal_node(machine.template, machine.smt, c) for c in order]
        if any(n is None for n in nodes):
            return None
        start = self._header(_OFF_DT_STRUCT) + fdt.first_subnode(cpus)
        joined = b"".join(nodes)  # type: ignore[arg-type]
        if self._buf[start : start + len(joined)] != joined:
            return None
        lengths = [len(n) for n in nodes]  # type: ignore[arg-type]
        return _Layout(self._node_key(machine), order, start, lengths)

    def _update_fast(self, machine: Machine) -> UpdateOutcome | None:
        layout = self._layout
        if layout is None or layout.key != self._node_key(machine):
            return None
        target = list(reversed(machine.present_cores))
        current = layout.order
        if target == current:
            self.stale = False
            return UpdateOutcome.UNCHANGED
        if len(target) == len(current) + 1:
            i = _first_difference(target, current)
            if target[:i] + target[i + 1 :] != current:
                return None
            node = self._literal_node(machine.template, machine.smt, target[i])
            if node is None:
                return None
            return self._splice_in(layout, i, target[i], node)
        if len(target) == len(current) - 1:
            i = _first_difference(current, target)
            if current[:i] + current[i + 1 :] != target:
                return None
            return self._splice_out(layout, i)
        return None

    def _splice_in(self, layout: _Layout, i: int, core: int, node: bytes) -> UpdateOutcome:
        buf, used, n = self._buf, self.used_bytes, len(node)
        if used + n > self.size_bytes:
            # the literal algorithm fails exactly here: its last fdt_setprop needs used + n
            self.stale = True
            return UpdateOutcome.NOSPACE
        pos = layout.run_start + sum(layout.lengths[:i])
        buf[pos + n : used + n] = buf[pos:used]
        buf[pos : pos + n] = node
        self._grow_struct(n)
        layout.order.insert(i, core)
        layout.lengths.insert(i, n)
        self.stale = False
        self._written()
        return UpdateOutcome.UPDATED

    def _splice_out(self, layout: _Layout, i: int) -> UpdateOutcome:
        buf, used = self._buf, self.used_bytes
        pos = layout.run_start + sum(layout.lengths[:i])
        n = layout.lengths[i]
        # like memmove: the last n bytes of the old used area stay behind, unused
        buf[pos : used - n] = buf[pos + n : used]
        self._grow_struct(-n)
        del layout.order[i]
        del layout.lengths[i]
        self.stale = False
        self._written()
        return UpdateOutcome.UPDATED

    def _grow_struct(self, delta: int) -> None:
        for field in (_OFF_DT_STRINGS, _SIZE_DT_STRUCT):
            _U32.pack_into(self._buf, field, self._header(field) + delta)

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
        cache = self._node_decode_cache
        base = self._header(_OFF_DT_STRUCT)
        child = _libfdt.fdt_first_subnode(buf, cpus)
        while child >= 0:
            after = _libfdt.fdt_next_subnode(buf, child)
            end = after if after >= 0 else self._node_end(child)
            key = bytes(buf[base + child : base + end])
            if key in cache:
                decoded = cache[key]
            else:
                decoded = cache[key] = self._decode_child(child)
            out.append(decoded)
            child = after
        return out

    def _node_end(self, node: int) -> int:
        """Offset just past ``node``'s FDT_END_NODE, by walking its tokens."""
        buf = self._buf
        base = self._header(_OFF_DT_STRUCT)
        limit = base + self._header(_SIZE_DT_STRUCT)
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
            elif token != 4:  # not FDT_NOP: FDT_END or garbage
                break
        return limit - base

    def _decode_child(self, child: int) -> _DecodedNode | None:
        fdt = _wrap(self._buf)
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
        """Interrupt servers of the CPU nodes in the hole, decoded from its bytes.

        A reload that copies in the very blob copied last time (storms end, reloads
        go on) reuses that decode: the hole then holds the same bytes.
        """
        if self._threads is None or self._threads[0] != self.generation:
            just_loaded = self._loaded is not None and self._loaded[0] == self.generation
            remembered = self._load_threads
            if (
                just_loaded
                and remembered is not None
                and (
                    remembered[0] is self._loaded[1] or remembered[0] == self._loaded[1]  # type: ignore[index]
                )
            ):
                threads = remembered[1]
            else:
                found: set[int] = set()
                for node in self._children():
                    if node is not None:
                        found.update(node[2])
                threads = frozenset(found)
                if just_loaded:
                    self._load_threads = (self._loaded[1], threads)  # type: ignore[index]
            self._threads = (self.generation, threads)
        return self._threads[1]

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


def _first_difference(longer: list[int], shorter: list[int]) -> int:
    for i, (a, b) in enumerate(zip(longer, shorter, strict=False)):
        if a != b:
            return i
    return len(shorter)
