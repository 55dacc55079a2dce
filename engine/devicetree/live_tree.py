"""``build_live_tree(machine)``: the machine's device tree as the running kernel sees it.

The base tree (a QEMU dump for a built-in machine, the source DTB for an imported one)
with ``/cpus`` regenerated from the machine: its DRC arrays list every possible core,
and one node per present core follows in live-tree order (a DLPAR-added node first).
``/chosen/rng-seed`` is dropped: the kernel consumes and wipes it at boot, and QEMU
writes a random one, so dropping it also makes the output deterministic.
"""

from __future__ import annotations

import struct
from functools import lru_cache

import fdt
from fdt.items import new_property

from engine.machine.cpu_templates import DRC_CPU_BASE, is_cpu_node
from engine.machine.topology import Machine

_RSV_ENTRY = struct.Struct(">QQ")


def parse_dtb_safely(blob: bytes) -> fdt.FDT:
    """``fdt.parse_dtb`` without its shared-default trap.

    fdt 0.3.3 builds ``FDT()`` with a mutable default ``entries=[]``, so every parse
    appends its memory reservations to one list shared by all trees. We take back what
    this parse appended and give the tree its own list, read from the blob.
    """
    shared = fdt.FDT.__init__.__defaults__[-1]
    before = len(shared)
    try:
        tree = fdt.parse_dtb(bytes(blob))
    finally:
        del shared[before:]
    tree.entries = rsvmap_entries(blob)
    return tree


def rsvmap_entries(blob: bytes) -> list[dict[str, int]]:
    """The memory reservation map of a DTB, as the ``fdt`` package's entry dicts."""
    (offset,) = struct.unpack_from(">I", blob, 16)
    entries = []
    while offset + 16 <= len(blob):
        address, size = _RSV_ENTRY.unpack_from(blob, offset)
        if address == 0 and size == 0:
            break
        entries.append({"address": address, "size": size})
        offset += 16
    return entries


@lru_cache(maxsize=16)
def _parsed_base(blob: bytes) -> fdt.FDT:
    # parsed once per blob; callers copy the root before changing anything
    return parse_dtb_safely(blob)


def prop_bytes(prop: fdt.Property) -> bytes:
    """The raw value of an ``fdt`` package property."""
    if isinstance(prop, fdt.PropWords):
        return struct.pack(f">{len(prop.data)}I", *prop.data)
    if isinstance(prop, fdt.PropStrings):
        return b"".join(s.encode("ascii") + b"\0" for s in prop.data)
    if isinstance(prop, fdt.PropBytes):
        return bytes(prop.data)
    return b""


def node_props(node: fdt.Node) -> list[tuple[str, bytes]]:
    return [(p.name, prop_bytes(p)) for p in node.props]


def set_props(node: fdt.Node, props: list[tuple[str, bytes]]) -> None:
    """Set raw properties: replace in place when present, else append."""
    index = {p.name: i for i, p in enumerate(node.props)}
    for name, value in props:
        prop = new_property(name, value)
        prop.set_parent(node)
        if name in index:
            node.props[index[name]] = prop
        else:
            index[name] = len(node.props)
            node.props.append(prop)


def make_node(name: str, props: list[tuple[str, bytes]]) -> fdt.Node:
    node = fdt.Node(name)
    for pname, value in props:
        prop = new_property(pname, value)
        prop.set_parent(node)
        node.props.append(prop)
    return node


def root_cells(root: fdt.Node) -> tuple[int, int]:
    """``#address-cells`` and ``#size-cells`` of the root (DT spec defaults 2 and 1)."""
    cells = []
    for name, default in (("#address-cells", 2), ("#size-cells", 1)):
        prop = root.get_property(name)
        value = prop_bytes(prop) if prop is not None else b""
        cells.append(int.from_bytes(value, "big") if len(value) == 4 else default)
    return cells[0], cells[1]


def encode_cells(value: int, cells: int) -> bytes:
    return value.to_bytes(4 * cells, "big")


def cpu_drc_props(machine: Machine) -> list[tuple[str, bytes]]:
    """``/cpus`` DRC arrays, one entry per possible core, count first (as QEMU writes them)."""
    n = machine.cores_possible
    ids = [c * machine.smt for c in range(n)]
    count = struct.pack(">I", n)
    return [
        ("ibm,drc-types", count + b"CPU\0" * n),
        ("ibm,drc-names", count + b"".join(f"CPU {i}\0".encode() for i in ids)),
        ("ibm,drc-power-domains", count + b"\xff\xff\xff\xff" * n),
        ("ibm,drc-indexes", count + b"".join(struct.pack(">I", DRC_CPU_BASE + i) for i in ids)),
    ]


def _keep_source_drc(cpus: fdt.Node, machine: Machine) -> bool:
    # an imported tree's DRC arrays are the real machine's; keep them when they agree
    prop = cpus.get_property("ibm,drc-indexes")
    value = prop_bytes(prop) if prop is not None else b""
    return (
        machine.imported
        and len(value) >= 4
        and int.from_bytes(value[:4], "big") == (machine.cores_possible)
    )


def cpu_nodes(machine: Machine) -> list[fdt.Node]:
    """One node per present core, in live-tree order, with the live ``name`` property."""
    t, smt = machine.template, machine.smt
    return [make_node(t.node_name(c, smt), t.live_props(c, smt)) for c in machine.present_cores]


def build_live_tree(machine: Machine) -> fdt.FDT:
    """The live device tree of ``machine`` as an ``fdt.FDT`` (a fresh object each call)."""
    base = _parsed_base(machine.base_blob)
    tree = fdt.FDT(entries=[dict(e) for e in base.entries])
    tree.header.version = 17
    tree.header.boot_cpuid_phys = base.header.boot_cpuid_phys
    root = base.root.copy()
    tree.root = root

    chosen = root.get_subnode("chosen")
    if chosen is not None:
        chosen.remove_property("rng-seed")

    cpus = root.get_subnode("cpus")
    if cpus is None:
        cpus = fdt.Node("cpus")
        root.append(cpus)
    others = [n for n in cpus.nodes if not is_cpu_node(node_props(n))]
    cpus.nodes.clear()
    for node in [*cpu_nodes(machine), *others]:
        node.set_parent(cpus)
        cpus.nodes.append(node)
    cells = [(n, v) for n, v in (("#address-cells", 1), ("#size-cells", 0))]
    set_props(cpus, [(n, struct.pack(">I", v)) for n, v in cells if not cpus.exist_property(n)])
    if not _keep_source_drc(cpus, machine):
        set_props(cpus, cpu_drc_props(machine))

    if not machine.imported:
        _fit_builtin(root, machine)
    return tree


def _fit_builtin(root: fdt.Node, machine: Machine) -> None:
    """Memory, RTAS and interrupt-controller properties of a built-in machine's QEMU tree."""
    address_cells, size_cells = root_cells(root)
    memory = root.get_subnode("memory@0")
    if memory is not None:
        reg = encode_cells(0, address_cells) + encode_cells(machine.boot_memory_bytes, size_cells)
        set_props(memory, [("reg", reg)])
    rtas = root.get_subnode("rtas")
    if rtas is not None and rtas.exist_property("ibm,lrdr-capacity"):
        # QEMU: max device address (0 without hotpluggable memory), LMB size, max cores
        hotplug = machine.memory_possible_bytes > machine.boot_memory_bytes
        max_addr = machine.memory_possible_bytes if hotplug else 0
        value = struct.pack(">QQI", max_addr, machine.memory_block_bytes, machine.cores_possible)
        set_props(rtas, [("ibm,lrdr-capacity", value)])
    for node in root.nodes:
        if node.exist_property("ibm,interrupt-server-ranges"):
            value = struct.pack(">II", 0, machine.threads_possible)
            set_props(node, [("ibm,interrupt-server-ranges", value)])


def live_cpus_props(machine: Machine) -> list[tuple[str, bytes]]:
    """The live ``/cpus`` node's properties, in order: what the RFC's ``update_cpus_node``
    copies with ``add_node_props()``. The tree's, then the ``name`` ("cpus") that
    ``drivers/of/fdt.c: populate_properties()`` recreates when the blob has none."""
    cpus = build_live_tree(machine).root.get_subnode("cpus")
    props = node_props(cpus)
    if not any(name == "name" for name, _ in props):
        props.append(("name", b"cpus\0"))
    return props
