"""The live /cpus tree, decoded from the bytes in the FDT hole and marked against the machine.

Updates are incremental: nothing happens unless ``FdtHole.generation``, the
machine's ``cpu_generation`` or the missing threads changed, and then only the
core nodes whose properties or status changed are touched. Properties are
decoded when a node is expanded, not before.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

SERVERS = "ibm,ppc-interrupt-server#s"
FIRST_PROPS = {
    name: i
    for i, name in enumerate(
        ("reg", SERVERS, "ibm,ppc-interrupt-gserver#s", "device_type", "ibm,chip-id", "status")
    )
}
MAX_CELLS = 8
MAX_BYTES = 16


@dataclass(frozen=True, slots=True)
class CoreEntry:
    """One row of the tree: a core node in the FDT, or an online core missing from it."""

    first_thread: int
    name: str
    props: tuple[tuple[str, bytes], ...] | None  # None: not in the FDT
    threads: tuple[int, ...]
    online: frozenset[int]  # which of ``threads`` the machine has online

    @property
    def status(self) -> str:
        if self.props is None:
            return "missing"
        return "online" if self.online else "offline"


def u32_cells(value: bytes) -> list[int]:
    return [int.from_bytes(value[i : i + 4], "big") for i in range(0, len(value) - 3, 4)]


def decode_prop(value: bytes) -> str:
    """The value the way dtc prints it: strings, <cells> or [bytes]; long ones truncated."""
    if not value:
        return "(true)"
    if (
        value.endswith(b"\0")
        and all(32 <= b < 127 or b == 0 for b in value[:-1])
        and b"\0\0" not in value
        and value[0] != 0
    ):
        return ", ".join(f'"{s}"' for s in value[:-1].decode("ascii").split("\0"))
    if len(value) % 4 == 0:
        cells = u32_cells(value)
        shown = " ".join(f"{c:#x}" for c in cells[:MAX_CELLS])
        more = f" …{len(cells)} cells" if len(cells) > MAX_CELLS else ""
        return f"<{shown}{more}>"
    shown = " ".join(f"{b:02x}" for b in value[:MAX_BYTES])
    more = f" …{len(value)} bytes" if len(value) > MAX_BYTES else ""
    return f"[{shown}{more}]"


def core_label(entry: CoreEntry) -> Text:
    label = Text(no_wrap=True, overflow="ellipsis")
    if entry.status == "missing":
        label.append("✗ ", style="bold red")
        label.append(entry.name, style="bold red")
        label.append(" MISSING: panic lost", style="bold white on red")
    elif entry.status == "online":
        label.append("✓ ", style="bold green")
        label.append(entry.name)
        label.append(f"  online {len(entry.online)}/{len(entry.threads)}", style="green")
    else:
        label.append("○ ", style="dim")
        label.append(entry.name, style="dim")
        label.append("  in FDT, offline", style="dim")
    return label


def threads_label(entry: CoreEntry) -> Text:
    label = Text("threads ", style="bold", no_wrap=True, overflow="ellipsis")
    for t in entry.threads:
        if entry.props is None:
            label.append(f"{t}✗ ", style="bold red")
        elif t in entry.online:
            label.append(f"{t}✓ ", style="green")
        else:
            label.append(f"{t}○ ", style="dim")
    return label


class CpusTree(Tree[CoreEntry]):
    """``/cpus`` as the capture kernel would read it from the hole right now."""

    DEFAULT_CSS = """
    CpusTree { width: 1fr; height: 1fr; overflow-x: hidden; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("/cpus", **kwargs)
        self.show_root = True
        self.auto_expand = False
        self._key: tuple[Any, ...] | None = None
        self._hole_generation: int | None = None
        self._fdt: dict[int, tuple[str, tuple[tuple[str, bytes], ...]]] = {}
        self._entries: dict[int, CoreEntry] = {}
        self._order: list[int] = []
        self._core_nodes: dict[int, TreeNode[CoreEntry]] = {}
        self.touched = 0  # core nodes added, changed or removed by the last sync (for tests)
        self.expand_new_cores = False  # expand every core node as it appears (benchmark)

    def on_mount(self) -> None:
        self.root.expand()

    def get_label_width(self, node: TreeNode[CoreEntry]) -> int:
        # Tree measures every line on each rebuild; our labels are plain Text: no re-render
        label = node._label
        return label.cell_len if isinstance(label, Text) else len(str(label))

    def sync(self, session: Any) -> bool:
        """Bring the tree up to date with the session; False when nothing changed."""
        hole, machine = session.hole, session.machine
        key = (hole.generation, machine.cpu_generation)
        if key == self._key:
            return False
        self._key = key
        if hole.generation != self._hole_generation:
            self._hole_generation = hole.generation
            self._fdt = self._decode(hole.cpu_nodes())
        online = machine.online_threads
        wanted: dict[int, CoreEntry] = {}
        prefix = (
            next(iter(self._fdt.values()))[0].split("@")[0]
            if self._fdt
            else f"PowerPC,{machine.cpu_model}"
        )
        for first, (name, props) in self._fdt.items():
            threads = _threads_of(props) or (first,)
            wanted[first] = CoreEntry(
                first, name, props, threads, frozenset(t for t in threads if t in online)
            )
        for core in machine.present_cores:  # online cores the FDT lacks: a panic there is lost
            first = machine.first_thread(core)
            if first in wanted:
                continue
            threads = tuple(machine.threads_of(core))
            up = frozenset(t for t in threads if t in online)
            if up:
                wanted[first] = CoreEntry(first, f"{prefix}@{first:x}", None, threads, up)
        self.touched = 0
        for first in [f for f in self._entries if f not in wanted]:
            self._core_nodes.pop(first).remove()
            del self._entries[first]
            self._order.remove(first)
            self.touched += 1
        for first, entry in wanted.items():
            old = self._entries.get(first)
            if old == entry:
                continue
            self.touched += 1
            self._entries[first] = entry
            if old is None:
                self._insert(entry)
            else:
                self._change(self._core_nodes[first], old, entry)
        self.root.set_label(self._root_label())
        return True

    @staticmethod
    def _decode(nodes: list[tuple[str, dict[str, bytes]]]):
        fdt = {}
        for name, props in nodes:
            reg = props.get("reg", b"")
            first = (
                int.from_bytes(reg[:4], "big")
                if len(reg) >= 4
                else int(name.rpartition("@")[2] or "0", 16)
            )
            fdt[first] = (name, tuple(sorted(props.items())))  # order carries no meaning
        return fdt

    def _insert(self, entry: CoreEntry) -> None:
        index = bisect.bisect(self._order, entry.first_thread)
        before = self._core_nodes[self._order[index]] if index < len(self._order) else None
        self._order.insert(index, entry.first_thread)
        node = self.root.add(core_label(entry), entry, before=before)
        self._core_nodes[entry.first_thread] = node
        if self.expand_new_cores:
            self._populate(node)
            node.expand()

    def _change(self, node: TreeNode[CoreEntry], old: CoreEntry, entry: CoreEntry) -> None:
        node.data = entry
        label = core_label(entry)
        if label != core_label(old):
            node.set_label(label)
        if node.is_expanded:
            self._populate(node)
        elif node.children:
            node.remove_children()  # decoded again when next expanded

    def _populate(self, node: TreeNode[CoreEntry]) -> None:
        entry = node.data
        node.remove_children()
        if entry is None:
            return
        node.add_leaf(threads_label(entry))
        props = sorted(
            entry.props or (), key=lambda p: (FIRST_PROPS.get(p[0], len(FIRST_PROPS)), p[0])
        )
        for prop, value in props:
            leaf = Text(no_wrap=True, overflow="ellipsis")
            leaf.append(prop, style="bold")
            leaf.append(" = " + decode_prop(value))
            node.add_leaf(leaf)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[CoreEntry]) -> None:
        if event.node is not self.root and not event.node.children:
            self._populate(event.node)

    def expand_core(self, first_thread: int) -> TreeNode[CoreEntry]:
        """Expand one core node now, its properties decoded (also used by tests)."""
        node = self._core_nodes[first_thread]
        if not node.children:
            self._populate(node)
        node.expand()
        return node

    def expand_all_cores(self) -> None:
        """Expand every core node, now and as new ones appear."""
        self.expand_new_cores = True
        for first in self._order:
            self.expand_core(first)

    def entry(self, first_thread: int) -> CoreEntry:
        return self._entries[first_thread]

    @property
    def entries(self) -> list[CoreEntry]:
        return [self._entries[f] for f in self._order]

    def _root_label(self) -> Text:
        label = Text("/cpus", style="bold", no_wrap=True, overflow="ellipsis")
        n_fdt = sum(1 for e in self._entries.values() if e.props is not None)
        missing = [self._entries[f] for f in self._order if self._entries[f].status == "missing"]
        label.append(f"  {n_fdt} core nodes")
        if missing:
            names = ", ".join(e.name.rpartition("@")[2] for e in missing[:3])
            more = "…" if len(missing) > 3 else ""
            label.append(f"  MISSING: @{names}{more}", style="bold white on red")
        return label


def _threads_of(props: tuple[tuple[str, bytes], ...]) -> tuple[int, ...]:
    for name, value in props:
        if name == SERVERS:
            return tuple(u32_cells(value))
    return ()
