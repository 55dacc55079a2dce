"""Semantic views of DTBs for tests: trees as {path: {property: bytes}}, order ignored.

QEMU writes a random /chosen/rng-seed and junk into padding, and libfdt reverses node
and property order on re-adds, so tests compare what the capture kernel reads: node
paths, property names and values. The kernel's nodes carry the ``name`` property
``populate_properties()`` synthesizes (QEMU's dumps do not): a ``name`` that names
its node is the one extra the views drop (``semantic``); any other ``name`` fails.
"""

from __future__ import annotations

import subprocess

import libfdt

from engine.machine.cpu_templates import cpu_nodes_in_dtb, unit_name

Tree = dict[str, dict[str, bytes]]


def tree_of(blob: bytes | bytearray) -> Tree:
    """Every node of the DTB by path, with its properties (order-free)."""
    fdt = libfdt.FdtRo(blob)
    tree: Tree = {}

    def walk(offset: int, path: str) -> None:
        props: dict[str, bytes] = {}
        p = fdt.first_property_offset(offset, quiet=(libfdt.NOTFOUND,))
        while p >= 0:
            prop = fdt.get_property_by_offset(p)
            assert prop.name not in props, f"{path}: {prop.name} twice"
            props[prop.name] = bytes(prop)
            p = fdt.next_property_offset(p, quiet=(libfdt.NOTFOUND,))
        assert path not in tree, f"{path} twice"
        tree[path] = props
        child = fdt.first_subnode(offset, quiet=(libfdt.NOTFOUND,))
        while child >= 0:
            walk(child, path.rstrip("/") + "/" + fdt.get_name(child))
            child = fdt.next_subnode(child, quiet=(libfdt.NOTFOUND,))

    walk(0, "/")
    return tree


def _without_name(node: str, props: dict[str, bytes]) -> dict[str, bytes]:
    if "name" not in props:
        return props
    want = unit_name(node.rpartition("/")[2] or "/").encode("ascii") + b"\0"
    assert props["name"] == want, f"{node}: name {props['name']!r} does not name the node"
    return {k: v for k, v in props.items() if k != "name"}


def semantic(tree: Tree) -> Tree:
    """``tree`` without the ``name`` properties that name their nodes."""
    return {path: _without_name(path, props) for path, props in tree.items()}


def cpu_nodes(blob: bytes | bytearray) -> dict[str, dict[str, bytes]]:
    """The /cpus nodes with device_type = "cpu", by name (order-free, ``name`` dropped)."""
    nodes = cpu_nodes_in_dtb(blob)
    by_name = {name: _without_name(name, dict(props)) for name, props in nodes}
    assert len(by_name) == len(nodes), "two CPU nodes share a name"
    return by_name


def cpu_node_order(blob: bytes | bytearray) -> list[str]:
    return [name for name, _ in cpu_nodes_in_dtb(blob)]


def without(tree: Tree, *drop: str) -> Tree:
    """``tree`` minus properties given as "/path:name"."""
    out = {path: dict(props) for path, props in tree.items()}
    for item in drop:
        path, name = item.split(":")
        out.get(path, {}).pop(name, None)
    return out


def diff(a: Tree, b: Tree) -> list[str]:
    """Human-readable differences between two trees (empty when equal)."""
    out = []
    for path in sorted(a.keys() | b.keys()):
        if path not in a or path not in b:
            out.append(f"{path}: only in {'first' if path in a else 'second'}")
            continue
        for name in sorted(a[path].keys() | b[path].keys()):
            if a[path].get(name) != b[path].get(name):
                out.append(f"{path}:{name}: {a[path].get(name)!r} != {b[path].get(name)!r}")
    return out


def assert_valid_dtb(blob: bytes | bytearray) -> None:
    """dtc decompiles it (exit status 0) and libfdt opens it and finds /cpus."""
    done = subprocess.run(
        ["dtc", "-q", "-I", "dtb", "-O", "dts", "-o", "/dev/null", "-"],
        input=bytes(blob),
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    fdt = libfdt.Fdt(blob)
    assert fdt.path_offset("/cpus") > 0
