"""The kdump FDT: the live tree plus what kexec adds to ``/chosen``, serialized fast.

kexec (``kexec_file_load`` in the kernel, ``kexec_load`` via kexec-tools) sets
``bootargs``, ``linux,elfcorehdr`` and ``linux,usable-memory-range`` in ``/chosen``.
The simulation rebuilds this blob on every reload, so ``KdumpFdtBuilder`` serializes
the constant parts once and caches every core node's bytes: a build is a join.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import fdt

from engine.devicetree.live_tree import (
    build_live_tree,
    encode_cells,
    node_props,
    root_cells,
    set_props,
)
from engine.machine.cpu_templates import unit_name
from engine.machine.topology import Machine

FDT_MAGIC = 0xD00DFEED
FDT_BEGIN_NODE = 1
FDT_END_NODE = 2
FDT_PROP = 3
FDT_END = 9
FDT_VERSION = 17
FDT_LAST_COMP_VERSION = 16
HEADER_BYTES = 40  # version 17 header
FDT_EXTRA_SPACE = 0x1000  # kernel of_kexec_alloc_and_setup_fdt(): room for /chosen edits

_HEADER = struct.Struct(">10I")
_PROP = struct.Struct(">III")
_U32 = struct.Struct(">I")
_BEGIN = _U32.pack(FDT_BEGIN_NODE)
_END_NODE = _U32.pack(FDT_END_NODE)


def _pad4(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


class StringsBlock:
    """A DTB strings block. A name reuses the first match of ``name\\0``, even inside a
    longer name, as the ``fdt`` package and libfdt's ``fdt_find_string_`` both do."""

    def __init__(self, initial: bytes = b"") -> None:
        self.data = bytearray(initial)
        self._offsets: dict[str, int] = {}

    def offset(self, name: str) -> int:
        off = self._offsets.get(name)
        if off is None:
            key = name.encode("ascii") + b"\0"
            off = self.data.find(key)
            if off < 0:
                off = len(self.data)
                self.data += key
            self._offsets[name] = off
        return off


def serialize_node(
    name: str, props: Sequence[tuple[str, bytes]], strings: StringsBlock, children: bytes = b""
) -> bytes:
    """FDT_BEGIN_NODE, the name, the properties, ``children`` (already serialized), FDT_END_NODE."""
    parts = [_BEGIN, _pad4(name.encode("ascii") + b"\0")]
    for pname, value in props:
        parts.append(_PROP.pack(FDT_PROP, len(value), strings.offset(pname)))
        parts.append(_pad4(value))
    parts.append(children)
    parts.append(_END_NODE)
    return b"".join(parts)


def _struct_of(
    node: fdt.Node,
    strings: StringsBlock,
    out: list[bytes | None],
    split: str,
    split_names: Sequence[str],
) -> None:
    """Serialize ``node`` into ``out``; at the node ``split`` (/cpus) leave a None where its
    CPU children go (they come first, see ``build_live_tree``) and intern their property
    names there, where the ``fdt`` package meets them."""
    path = "/" if node.name == "/" else (node.path.rstrip("/") + "/" + node.name)
    out.append(_BEGIN)
    out.append(_pad4(b"\0" if node.name == "/" else node.name.encode("ascii") + b"\0"))
    for pname, value in node_props(node):
        out.append(_PROP.pack(FDT_PROP, len(value), strings.offset(pname)))
        out.append(_pad4(value))
    children = list(node.nodes)
    if path == split:
        cpu_count = sum(1 for n in children if _is_cpu(n))
        out.append(None)
        for pname in split_names:
            strings.offset(pname)
        children = children[cpu_count:]
    for child in children:
        _struct_of(child, strings, out, split, split_names)
    out.append(_END_NODE)


def _is_cpu(node: fdt.Node) -> bool:
    prop = node.get_property("device_type")
    return isinstance(prop, fdt.PropStrings) and prop.data[:1] == ["cpu"]


def kexec_chosen_props(
    root: fdt.Node,
    *,
    bootargs: str,
    elfcorehdr_addr: int,
    elfcorehdr_size: int,
    crash_base: int,
    crash_size: int,
) -> list[tuple[str, bytes]]:
    """``/chosen`` properties kexec sets for a crash kernel (cells from the root, as
    the kernel's ``fdt_appendprop_addrrange``: 2 + 2 on pseries, i.e. u64 pairs)."""
    ac, sc = root_cells(root)
    return [
        ("bootargs", bootargs.encode("ascii") + b"\0"),
        ("linux,elfcorehdr", encode_cells(elfcorehdr_addr, ac) + encode_cells(elfcorehdr_size, sc)),
        ("linux,usable-memory-range", encode_cells(crash_base, ac) + encode_cells(crash_size, sc)),
    ]


class KdumpFdtBuilder:
    """Builds the packed kdump FDT (version 17) of ``machine`` as it is now."""

    def __init__(
        self,
        machine: Machine,
        *,
        bootargs: str,
        elfcorehdr_addr: int,
        elfcorehdr_size: int,
        crash_base: int,
        crash_size: int,
    ) -> None:
        self.machine = machine
        self.bootargs = bootargs
        self.elfcorehdr_addr = elfcorehdr_addr
        self.elfcorehdr_size = elfcorehdr_size
        self.crash_base = crash_base
        self.crash_size = crash_size
        self._parts: tuple[bytes, bytes, bytes, bytes, int] | None = None
        self._strings: StringsBlock | None = None
        self._nodes: dict[int, bytes] = {}
        self._last: tuple[tuple[int, ...], bytes] | None = None
        # _cpu_nodes' last answer: (present cores, node pieces, their total length)
        self._last_nodes: tuple[tuple[int, ...], list[bytes], int] = ((), [], 0)

    def reference_tree(self) -> fdt.FDT:
        """The same content as an ``fdt.FDT`` (slow; for checks and the reference builder)."""
        tree = build_live_tree(self.machine)
        chosen = tree.root.get_subnode("chosen")
        if chosen is None:
            chosen = fdt.Node("chosen")
            tree.root.append(chosen)
        set_props(
            chosen,
            kexec_chosen_props(
                tree.root,
                bootargs=self.bootargs,
                elfcorehdr_addr=self.elfcorehdr_addr,
                elfcorehdr_size=self.elfcorehdr_size,
                crash_base=self.crash_base,
                crash_size=self.crash_size,
            ),
        )
        return tree

    def _constant_parts(self) -> tuple[bytes, bytes, bytes, bytes, int]:
        if self._parts is None:
            tree = self.reference_tree()
            strings = StringsBlock()
            out: list[bytes | None] = []
            m = self.machine
            # every name any core node can use, so the strings block never changes later
            names: dict[str, None] = {}
            for core in m.present_cores:
                names.update((n, None) for n, _ in m.template.live_props(core, m.smt))
            names.update((n, None) for n, _ in m.template.props)
            for _, _, props in m.template.exact:
                names.update((n, None) for n, _ in props)
            _struct_of(tree.root, strings, out, "/cpus", list(names))
            cut = out.index(None)
            prefix = b"".join(b for b in out[:cut] if b is not None)
            suffix = b"".join(b for b in out[cut + 1 :] if b is not None) + _U32.pack(FDT_END)
            rsvmap = b"".join(
                struct.pack(">QQ", e["address"], e["size"]) for e in tree.entries
            ) + bytes(16)
            self._strings = strings
            self._parts = (rsvmap, prefix, suffix, bytes(strings.data), tree.header.boot_cpuid_phys)
        return self._parts

    def node_bytes(self, core: int) -> bytes:
        """The serialized node of ``core`` (cached per core index)."""
        cached = self._nodes.get(core)
        if cached is None:
            self._constant_parts()
            assert self._strings is not None
            m = self.machine
            name = m.template.node_name(core, m.smt)
            cached = serialize_node(name, m.template.live_props(core, m.smt), self._strings)
            self._nodes[core] = cached
        return cached

    def _cpu_nodes(self, present: tuple[int, ...]) -> tuple[list[bytes], int]:
        """The CPU nodes of ``present`` in order, as pieces, and their total length. A
        DLPAR add puts its core first in the live tree (``present_cores``), so the nodes
        of the last build follow the new ones unchanged: the new pieces in front of the
        last list, and the blob's one join is the only copy of the nodes' bytes."""
        last, last_pieces, last_bytes = self._last_nodes
        nodes = self._nodes
        k = len(present) - len(last)
        if last and k > 0 and present[k:] == last:
            pieces = [nodes.get(c) or self.node_bytes(c) for c in present[:k]]
            size = last_bytes + sum(map(len, pieces))
            pieces += last_pieces
        else:
            pieces = [nodes.get(c) or self.node_bytes(c) for c in present]
            size = sum(map(len, pieces))
        self._last_nodes = (present, pieces, size)
        return pieces, size

    def build(self) -> bytes:
        """The packed kdump FDT for the machine's present cores now."""
        present = self.machine.present_cores
        if self._last is not None and (self._last[0] is present or self._last[0] == present):
            return self._last[1]
        rsvmap, prefix, suffix, strings, boot_cpu = self._constant_parts()
        nodes, nodes_bytes = self._cpu_nodes(present)
        body_bytes = len(prefix) + nodes_bytes + len(suffix)
        off_struct = HEADER_BYTES + len(rsvmap)
        off_strings = off_struct + body_bytes
        total = off_strings + len(strings)
        header = _HEADER.pack(
            FDT_MAGIC,
            total,
            off_struct,
            off_strings,
            HEADER_BYTES,
            FDT_VERSION,
            FDT_LAST_COMP_VERSION,
            boot_cpu,
            len(strings),
            body_bytes,
        )
        blob = b"".join([header, rsvmap, prefix, *nodes, suffix, strings])
        self._last = (present, blob)
        return blob


def build_reference_dtb(builder: KdumpFdtBuilder) -> bytes:
    """The same FDT serialized by the ``fdt`` package (``to_dtb(version=17)``); slow."""
    return builder.reference_tree().to_dtb(version=FDT_VERSION)


# ------------------------------------------------------------------ sizing
def _first_cpu_node(machine: Machine) -> tuple[str, list[tuple[str, bytes]]]:
    core = machine.present_cores[0]
    t = machine.template
    return t.node_name(core, machine.smt), t.live_props(core, machine.smt)


def cpu_node_size(machine: Machine) -> int:
    """The kernel's estimate of one CPU node's FDT bytes, from the first CPU node.

    Linux ``arch/powerpc/kexec/file_load_64.c: cpu_node_size()`` (6.6+):
    ``size += strlen(dn->name) + 5; for_each_property_of_node(dn, pp)
    { size += strlen(pp->name); size += pp->length; }``. ``dn->name`` is the node name
    without its unit address, and the live node's properties include the ``name`` that
    ``drivers/of/fdt.c: populate_properties()`` recreates (``CpuNodeTemplate.live_props``).
    """
    name, props = _first_cpu_node(machine)
    size = len(unit_name(name)) + 5
    for pname, value in props:
        size += len(pname) + len(value)
    return size


def measured_cpu_node_bytes(machine: Machine) -> int:
    """DTB structure bytes of one core node: the last possible core's, whose unit address
    is the longest (652 for the QEMU POWER9 node at SMT1: QEMU's 624 plus the 28 of the
    live tree's ``name`` property)."""
    core = machine.cores_possible - 1
    t = machine.template
    name = t.node_name(core, machine.smt)
    total = 4 + len(_pad4(name.encode("ascii") + b"\0")) + 4
    for _, value in t.live_props(core, machine.smt):
        total += 12 + len(_pad4(value))
    return total


def auto_hole_size(machine: Machine, blob_len: int) -> int:
    """Upstream's kdump FDT size: the blob plus ``cpu_node_size()`` per core not yet
    present, plus 4096 (``kdump_extra_fdt_size_ppc64`` and ``FDT_EXTRA_SPACE``)."""
    missing = max(0, machine.cores_possible - len(machine.present_cores))
    return blob_len + missing * cpu_node_size(machine) + FDT_EXTRA_SPACE
