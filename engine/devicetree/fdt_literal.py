"""``update_cpus_node()`` run with pylibfdt (the kernel's own libfdt) on the hole's buffer.

The reference for ``FdtHole``'s fast path, in both of the kernel's forms:

- ``"2021"``: the RFC's form (moved from file_load_64.c to arch/powerpc/kexec/core_64.c
  and made non-static by the RFC, Feb 2022): ``fdt_del_node(/cpus)``,
  ``fdt_add_subnode(/, "cpus")``, ``fdt_setprop`` every live ``/cpus`` property
  (``add_node_props``), then for every live ``device_type = "cpu"`` node
  (``for_each_node_by_type``) ``fdt_add_subnode`` and every property. Any other
  child of ``/cpus`` (PowerVM's l2-cache/l3-cache nodes) is gone afterwards.
- ``"2024"``: the May 2024 form (commit 932bed412170, in Linux 6.10), which deletes
  and re-adds only the CPU children: walk ``/cpus`` children and ``fdt_del_node`` each whose
  ``device_type`` is "cpu", then for each live child of ``/cpus`` with
  ``device_type = "cpu"`` ``fdt_add_subnode`` and every property.

An error stops the update where it stands; nothing is rolled back
(``crash_handle_hotplug_event()``: "Errors in the callback is not a reason to
rollback state").
"""

from __future__ import annotations

from collections.abc import Sequence

import libfdt

from engine.devicetree.fdt_splice import Props, StepError

_QUIET = (libfdt.NOTFOUND,)
_ERRORS = {-libfdt.NOSPACE: StepError.NOSPACE, -libfdt.EXISTS: StepError.EXISTS}


def wrap(buf: bytearray) -> libfdt.Fdt:
    # pylibfdt's constructor copies the buffer; the hole must be worked on in place
    fdt = libfdt.Fdt.__new__(libfdt.Fdt)
    fdt._fdt = buf
    return fdt


def _is_cpu(fdt: libfdt.Fdt, node: int) -> bool:
    dtype = fdt.getprop(node, "device_type", quiet=_QUIET)
    return not isinstance(dtype, int) and bytes(dtype).split(b"\0", 1)[0] == b"cpu"


def _add_nodes(fdt: libfdt.Fdt, parent: int, nodes: Sequence[tuple[str, Props]]) -> None:
    for name, props in nodes:
        node = fdt.add_subnode(parent, name)
        for pname, value in props:
            fdt.setprop(node, pname, value)


def update_2024(buf: bytearray, nodes: Sequence[tuple[str, Props]]) -> StepError | None:
    """The 6.10 form on ``buf``: None, or the libfdt error it stopped at."""
    fdt = wrap(buf)
    try:
        cpus = fdt.path_offset("/cpus")
        prev = cpus
        child = fdt.first_subnode(cpus, quiet=_QUIET)
        while child >= 0:
            if _is_cpu(fdt, child):
                fdt.del_node(child)
            else:
                prev = child
            if prev == cpus:
                child = fdt.first_subnode(cpus, quiet=_QUIET)
            else:
                child = fdt.next_subnode(prev, quiet=_QUIET)
        _add_nodes(fdt, cpus, nodes)
    except libfdt.FdtException as exc:
        if exc.err in _ERRORS:
            return _ERRORS[exc.err]
        raise
    return None


def update_2021(
    buf: bytearray, cpus_props: Props, nodes: Sequence[tuple[str, Props]]
) -> StepError | None:
    """The RFC's form on ``buf``: None, or the libfdt error it stopped at."""
    fdt = wrap(buf)
    try:
        cpus = fdt.path_offset("/cpus", quiet=_QUIET)
        if cpus > 0:
            fdt.del_node(cpus)
        cpus = fdt.add_subnode(fdt.path_offset("/"), "cpus")
        for pname, value in cpus_props:
            fdt.setprop(cpus, pname, value)
        _add_nodes(fdt, cpus, nodes)
    except libfdt.FdtException as exc:
        if exc.err in _ERRORS:
            return _ERRORS[exc.err]
        raise
    return None
