"""The /cpus tree's data, no Textual: core entries and the text of their lines.

Core nodes are decoded from the bytes in the FDT hole (``FdtHole.cpu_nodes()``)
and set against the machine: an online core the hole lacks is a panic that
gets no dump. Lines are lists of (text, style) pieces; the widget turns them
into strips only for the rows it shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.style import Style

SERVERS = "ibm,ppc-interrupt-server#s"
FIRST_PROPS = {
    name: i
    for i, name in enumerate(
        ("reg", SERVERS, "ibm,ppc-interrupt-gserver#s", "device_type", "ibm,chip-id", "status")
    )
}
MAX_CELLS = 8
MAX_BYTES = 16
HEADER = -1  # the first-thread key of the /cpus line, before every core

Piece = tuple[str, Style]
Props = tuple[tuple[str, bytes], ...]
_styles: dict[str, Style] = {}


def style(spec: str) -> Style:
    """A parsed rich style, parsed once."""
    parsed = _styles.get(spec)
    if parsed is None:
        parsed = _styles[spec] = Style.parse(spec) if spec else Style()
    return parsed


@dataclass(frozen=True, slots=True)
class CoreEntry:
    """One core of the tree: a core node in the FDT, or an online core missing from it."""

    first_thread: int
    name: str
    props: Props | None  # None: not in the FDT
    threads: tuple[int, ...]
    online: frozenset[int]  # which of ``threads`` the machine has online

    @property
    def status(self) -> str:
        if self.props is None:
            return "missing"
        return "online" if self.online else "offline"

    @property
    def child_count(self) -> int:
        """Lines under the core line when it is expanded: threads, then each property."""
        return 1 + len(self.props or ())


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


def fdt_cores(nodes: Iterable[tuple[str, dict[str, bytes]]]) -> dict[int, tuple[str, Props]]:
    """Decoded /cpus nodes by first thread (``reg``, else the unit address)."""
    cores = {}
    for name, props in nodes:
        reg = props.get("reg", b"")
        first = (
            int.from_bytes(reg[:4], "big")
            if len(reg) >= 4
            else int(name.rpartition("@")[2] or "0", 16)
        )
        cores[first] = (name, tuple(sorted(props.items())))  # order carries no meaning
    return cores


def core_entries(
    fdt: dict[int, tuple[str, Props]],
    machine: Any,
    *,
    cores: Iterable[int] | None = None,
    prefix: str | None = None,
) -> dict[int, CoreEntry]:
    """Every core node of the hole, and every online core of ``machine`` the hole lacks
    (of ``cores`` only, when given: all present cores by default)."""
    online = machine.online_threads
    entries: dict[int, CoreEntry] = {}
    if prefix is None:
        prefix = (
            next(iter(fdt.values()))[0].split("@")[0] if fdt else f"PowerPC,{machine.cpu_model}"
        )
    for first, (name, props) in fdt.items():
        threads = _threads_of(props) or (first,)
        entries[first] = CoreEntry(first, name, props, threads, online.intersection(threads))
    for core in machine.present_cores if cores is None else cores:
        first = machine.first_thread(core)
        if first in entries:
            continue
        threads = tuple(machine.threads_of(core))
        up = online.intersection(threads)
        if up:
            entries[first] = CoreEntry(first, f"{prefix}@{first:x}", None, threads, up)
    return entries


class CoreTable:
    """``core_entries()`` kept up to date incrementally: only cores whose node bytes
    changed (the hole hands out the same decoded dict for unchanged bytes) or whose
    threads went on- or offline are looked at again."""

    def __init__(self) -> None:
        self.entries: dict[int, CoreEntry] = {}
        self._fdt: dict[int, tuple[str, Props]] = {}
        self._decoded: dict[int, tuple[dict[str, bytes], int, str, Props]] = {}  # by id()
        self._online: frozenset[int] = frozenset()
        self._present: frozenset[int] = frozenset()

    def update(self, nodes: list[tuple[str, dict[str, bytes]]] | None, machine: Any) -> set[int]:
        """New hole nodes (None: the hole did not change) and machine; the cores that changed."""
        candidates: set[int] = set()
        if nodes is not None:
            fdt: dict[int, tuple[str, Props]] = {}
            decoded: dict[int, tuple[dict[str, bytes], int, str, Props]] = {}
            for name, props in nodes:
                known = self._decoded.get(id(props))
                if known is None or known[0] is not props:
                    ((first, (_, items)),) = fdt_cores([(name, props)]).items()
                    known = (props, first, name, items)
                decoded[id(props)] = known
                fdt[known[1]] = (name, known[3])
            candidates.update(f for f in fdt.keys() ^ self._fdt.keys())
            candidates.update(f for f in fdt.keys() & self._fdt.keys() if fdt[f] != self._fdt[f])
            self._fdt, self._decoded = fdt, decoded
        smt = machine.smt
        online = machine.online_threads
        candidates.update(t - t % smt for t in online ^ self._online)
        present = frozenset(machine.present_cores)
        candidates.update(machine.first_thread(c) for c in present ^ self._present)
        self._online, self._present = online, present
        if not candidates:
            return candidates
        wanted = core_entries(
            {f: self._fdt[f] for f in candidates if f in self._fdt},
            machine,
            cores=[c for c in present if machine.first_thread(c) in candidates],
            prefix=self._prefix(machine),
        )
        changed = set()
        for first in candidates:
            entry = wanted.get(first)
            if entry != self.entries.get(first):
                changed.add(first)
                if entry is None:
                    del self.entries[first]
                else:
                    self.entries[first] = entry
        return changed

    def _prefix(self, machine: Any) -> str:
        if self._fdt:
            return next(iter(self._fdt.values()))[0].split("@")[0]
        return f"PowerPC,{machine.cpu_model}"


def _threads_of(props: Props) -> tuple[int, ...]:
    for name, value in props:
        if name == SERVERS:
            return tuple(u32_cells(value))
    return ()


# ---- the text of each line ------------------------------------------------------------------
def header_pieces(entries: dict[int, CoreEntry], order: list[int]) -> list[Piece]:
    """``/cpus  N core nodes  MISSING: @58, ...``."""
    n_fdt = sum(1 for e in entries.values() if e.props is not None)
    pieces = [("/cpus", style("bold")), (f"  {n_fdt} core nodes", style(""))]
    missing = [entries[f] for f in order if entries[f].props is None]
    if missing:
        names = ", ".join(e.name.rpartition("@")[2] for e in missing[:3])
        more = "…" if len(missing) > 3 else ""
        pieces.append((f"  MISSING: @{names}{more}", style("bold white on red")))
    return pieces


def core_pieces(entry: CoreEntry) -> list[Piece]:
    """The core's own line: in the FDT and online, MISSING, or in the FDT but offline."""
    if entry.status == "missing":
        return [
            ("✗ ", style("bold red")),
            (entry.name, style("bold red")),
            (" MISSING: panic lost", style("bold white on red")),
        ]
    if entry.status == "online":
        return [
            ("✓ ", style("bold green")),
            (entry.name, style("")),
            (f"  online {len(entry.online)}/{len(entry.threads)}", style("green")),
        ]
    return [
        ("○ ", style("dim")),
        (entry.name, style("dim")),
        ("  in FDT, offline", style("dim")),
    ]


def threads_pieces(entry: CoreEntry) -> list[Piece]:
    """``threads 88✓ 89✓ ...``: each thread's state (✗ when the node is missing)."""
    pieces = [("threads ", style("bold"))]
    for t in entry.threads:
        if entry.props is None:
            pieces.append((f"{t}✗ ", style("bold red")))
        elif t in entry.online:
            pieces.append((f"{t}✓ ", style("green")))
        else:
            pieces.append((f"{t}○ ", style("dim")))
    return pieces


def sorted_props(entry: CoreEntry) -> list[tuple[str, bytes]]:
    """Properties in reading order: reg, interrupt servers, device_type, ..., then by name."""
    return sorted(entry.props or (), key=lambda p: (FIRST_PROPS.get(p[0], len(FIRST_PROPS)), p[0]))


def prop_pieces(name: str, value: bytes) -> list[Piece]:
    return [(name, style("bold")), (" = " + decode_prop(value), style(""))]


def child_pieces(entry: CoreEntry) -> list[list[Piece]]:
    """The lines under an expanded core, decoded now (never before it is shown)."""
    return [threads_pieces(entry), *(prop_pieces(n, v) for n, v in sorted_props(entry))]


def plain(pieces: list[Piece]) -> str:
    return "".join(text for text, _ in pieces)
