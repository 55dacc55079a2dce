"""The property set of one pseries core node, and the per-core properties computed from it.

A template is the ordered property list of one ``/cpus/PowerPC,POWERn@<id>`` node, in
the order the DTB holds them (QEMU's libfdt prepends every ``fdt_setprop``, so that is
the reverse of QEMU's call order). Four properties depend on the core and are computed:
``reg`` (first thread), ``ibm,ppc-interrupt-server#s`` (the SMT thread ids),
``ibm,ppc-interrupt-gserver#s`` (pairs (server, 0)) and ``ibm,my-drc-index``
(0x10000000 + first thread, the CPU DRC id QEMU uses). A template taken from a DTB also
remembers every source node exactly, so an imported machine reproduces them bit for bit.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import libfdt

Props = tuple[tuple[str, bytes], ...]

DRC_CPU_BASE = 0x10000000  # SPAPR_DR_CONNECTOR_TYPE_CPU << 28
SMT_WIDTHS = (1, 2, 4, 8)

_DATA = Path(__file__).with_name("data")
BUILTIN_DTBS = {
    "POWER8": "pseries_power8_smp4_max16.dtb",
    "POWER9": "pseries_power9_smp8_max32.dtb",
    "POWER10": "pseries_power10_smp4_max8.dtb",
}


def _cells(values: Iterable[int]) -> bytes:
    values = list(values)
    return struct.pack(f">{len(values)}I", *values)


@dataclass(frozen=True)
class CpuNodeTemplate:
    """One core node's properties, with ``reg``, the server arrays and the DRC index per core."""

    model: str  # "POWER9"
    base_name: str  # "PowerPC,POWER9" (node name without the unit address)
    props: Props  # in DTB order
    # first thread -> exact (name, props) of a source node; used when the SMT width matches
    exact: tuple[tuple[int, str, Props], ...] = field(default=(), compare=False)
    exact_smt: int | None = None

    def __post_init__(self) -> None:
        names = [name for name, _ in self.props]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.base_name}: a property appears twice in the CPU node")
        if not all(isinstance(v, bytes) for _, v in self.props):
            raise TypeError("property values must be bytes")

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_node(cls, name: str, props: Sequence[tuple[str, bytes]]) -> CpuNodeTemplate:
        """A template from one CPU node (``name`` such as ``PowerPC,POWER9@0``)."""
        base = name.split("@", 1)[0]
        model = base.split(",", 1)[1] if "," in base else base
        return cls(model=model, base_name=base, props=tuple((n, bytes(v)) for n, v in props))

    @classmethod
    def from_nodes(
        cls, nodes: Sequence[tuple[str, Sequence[tuple[str, bytes]]]], smt: int
    ) -> CpuNodeTemplate:
        """A template from the first node that also reproduces every given node exactly."""
        if not nodes:
            raise ValueError("no CPU node to take a template from")
        first = cls.from_node(*nodes[0])
        exact = []
        for name, props in nodes:
            frozen = tuple((n, bytes(v)) for n, v in props)
            reg = dict(frozen)["reg"]
            exact.append((int.from_bytes(reg, "big"), name, frozen))
        return cls(first.model, first.base_name, first.props, tuple(exact), smt)

    @staticmethod
    def builtin(model: str) -> CpuNodeTemplate:
        """The QEMU 7.2 pseries template of ``model`` ("POWER8", "POWER9", "POWER10")."""
        return _builtin_template(model.upper())

    # --------------------------------------------------------------- per core
    @cached_property
    def _exact_by_thread(self) -> Mapping[int, tuple[str, Props]]:
        return {thread: (name, props) for thread, name, props in self.exact}

    def _exact_for(self, core: int, smt: int) -> tuple[str, Props] | None:
        if smt != self.exact_smt:
            return None
        return self._exact_by_thread.get(core * smt)

    def node_name(self, core: int, smt: int) -> str:
        """``PowerPC,POWER9@<first thread in lowercase hex>``, as QEMU and dtc write it."""
        exact = self._exact_for(core, smt)
        if exact is not None:
            return exact[0]
        return f"{self.base_name}@{core * smt:x}"

    def props_for(self, core: int, smt: int) -> list[tuple[str, bytes]]:
        """The node's properties for ``core`` at ``smt`` threads per core, in DTB order."""
        if smt not in SMT_WIDTHS:
            raise ValueError(f"SMT must be one of {SMT_WIDTHS}, got {smt}")
        if core < 0:
            raise ValueError(f"core index must not be negative, got {core}")
        exact = self._exact_for(core, smt)
        if exact is not None:
            return list(exact[1])
        first = core * smt
        threads = range(first, first + smt)
        out = []
        for name, value in self.props:
            if name == "reg":
                value = first.to_bytes(max(len(value), 4), "big")
            elif name == "ibm,ppc-interrupt-server#s":
                value = _cells(threads)
            elif name == "ibm,ppc-interrupt-gserver#s":
                value = _cells(v for t in threads for v in (t, 0))
            elif name == "ibm,my-drc-index":
                value = _cells([DRC_CPU_BASE + first])
            out.append((name, value))
        return out

    def live_props(self, core: int, smt: int) -> list[tuple[str, bytes]]:
        """The properties of the kernel's live node for ``core``: the FDT's, then ``name``.

        ``drivers/of/fdt.c: populate_properties()`` recreates ``name`` from the unit
        name (the node name up to its last ``@``) when the blob has none, and appends
        it after the blob's properties; ``update_cpus_node()`` copies every live
        property, so the nodes it writes carry it (28 bytes of structure for
        "PowerPC,POWER9").
        """
        props = self.props_for(core, smt)
        if not any(name == "name" for name, _ in props):
            props.append(("name", unit_name(self.node_name(core, smt)).encode("ascii") + b"\0"))
        return props

    @cached_property
    def prop_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.props)


def unit_name(node_name: str) -> str:
    """A node's name without its unit address, as ``populate_properties()`` cuts it."""
    base, at, _ = node_name.rpartition("@")
    return base if at else node_name


# --------------------------------------------------------------------- reading
def props_at(fdt: libfdt.FdtRo, offset: int) -> list[tuple[str, bytes]]:
    """Every property of the node at ``offset``, in buffer order, as (name, value bytes)."""
    props = []
    p = fdt.first_property_offset(offset, quiet=(libfdt.NOTFOUND,))
    while p >= 0:
        prop = fdt.get_property_by_offset(p)
        props.append((prop.name, bytes(prop)))
        p = fdt.next_property_offset(p, quiet=(libfdt.NOTFOUND,))
    return props


def is_cpu_node(props: Iterable[tuple[str, bytes]]) -> bool:
    """``device_type = "cpu"``, compared like the kernel's ``strcmp(prop->data, "cpu")``."""
    for name, value in props:
        if name == "device_type":
            return value.split(b"\0", 1)[0] == b"cpu"
    return False


def cpus_children(fdt: libfdt.FdtRo) -> list[tuple[str, list[tuple[str, bytes]]]]:
    """Every child of ``/cpus`` as (name, props), in buffer order (empty without /cpus)."""
    cpus = fdt.path_offset("/cpus", quiet=(libfdt.NOTFOUND,))
    if cpus < 0:
        return []
    out = []
    child = fdt.first_subnode(cpus, quiet=(libfdt.NOTFOUND,))
    while child >= 0:
        out.append((fdt.get_name(child), props_at(fdt, child)))
        child = fdt.next_subnode(child, quiet=(libfdt.NOTFOUND,))
    return out


def cpu_nodes_in_dtb(blob: bytes | bytearray) -> list[tuple[str, list[tuple[str, bytes]]]]:
    """The ``device_type = "cpu"`` children of ``/cpus``, in buffer order."""
    fdt = libfdt.FdtRo(blob)
    return [(name, props) for name, props in cpus_children(fdt) if is_cpu_node(props)]


@cache
def builtin_dtb(model: str) -> bytes:
    """The QEMU pseries dump the built-in ``model`` comes from (engine/machine/data)."""
    model = model.upper()
    if model not in BUILTIN_DTBS:
        known = ", ".join(BUILTIN_DTBS)
        raise ValueError(f"unknown CPU model {model!r}: built-in models are {known}")
    return (_DATA / BUILTIN_DTBS[model]).read_bytes()


@cache
def _builtin_template(model: str) -> CpuNodeTemplate:
    nodes = cpu_nodes_in_dtb(builtin_dtb(model))
    name, props = nodes[0]
    return CpuNodeTemplate.from_node(name, props)
