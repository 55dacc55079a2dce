"""The /cpus tree's data, no Textual: core entries and the text of their lines.

Which cores the hole covers (online, MISSING: a panic there gets no dump, or in
the FDT but offline) is the engine's ``Session.core_coverage()``; only the
property values of a core node come from the hole (``FdtHole.cpu_nodes()``).
Lines are lists of (text, style) pieces; the widget turns them into strips only
for the rows it shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from rich.style import Style

from engine.devicetree.cpu_coverage import CoreCoverage
from tui import palette

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
NO_PROPS: Mapping[str, bytes] = MappingProxyType({})  # an FDT core whose node was not found
_styles: dict[str, Style] = {}


def style(spec: str) -> Style:
    """A parsed rich style, parsed once."""
    parsed = _styles.get(spec)
    if parsed is None:
        parsed = _styles[spec] = Style.parse(spec) if spec else Style()
    return parsed


@dataclass(frozen=True, slots=True)
class CoreEntry:
    """One core of the tree: the engine's coverage of it, and its node's properties."""

    coverage: CoreCoverage  # from ``Session.core_coverage()``: status, name, threads, online
    props: Mapping[str, bytes] | None  # from ``FdtHole.cpu_nodes()``; None: not in the FDT

    @property
    def first_thread(self) -> int:
        return self.coverage.first_thread

    @property
    def name(self) -> str:
        return self.coverage.name

    @property
    def threads(self) -> tuple[int, ...]:
        return self.coverage.threads

    @property
    def online(self) -> frozenset[int]:
        return self.coverage.online

    @property
    def status(self) -> str:
        return self.coverage.status

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


def node_props(nodes: Iterable[tuple[str, Mapping[str, bytes]]]) -> dict[str, Mapping[str, bytes]]:
    """``FdtHole.cpu_nodes()`` by node name, for ``core_changes()``."""
    return dict(nodes)


def core_changes(
    entries: Mapping[int, CoreEntry],
    coverage: Mapping[int, CoreCoverage],
    props: Mapping[str, Mapping[str, bytes]],
) -> tuple[dict[int, CoreEntry | None], dict[int, CoreEntry]]:
    """The cores whose entry in ``entries`` no longer matches ``coverage`` (the engine's
    ``Session.core_coverage()``) and ``props`` (``node_props()``): their new entry, or
    None for a core the coverage no longer has; then the entries that only hold new but
    equal properties (to keep in place of the old ones, nothing to redraw).

    A core is unchanged when its coverage is equal and its node's properties are the
    same dict: the hole hands out the same decoded dict while a node's bytes and the
    strings block stay the same. A new dict (the strings block changed, another
    session) is compared by value once, then kept.
    """
    changes: dict[int, CoreEntry | None] = {}
    rebased: dict[int, CoreEntry] = {}
    props_of = props.get
    added = 0
    for first, cov in coverage.items():
        node = props_of(cov.name, NO_PROPS) if cov.in_fdt else None
        old = entries.get(first)
        if old is None:
            added += 1
        elif old.coverage is cov or old.coverage == cov:
            if old.props is node:
                continue
            if old.props == node:
                rebased[first] = CoreEntry(cov, node)
                continue
        changes[first] = CoreEntry(cov, node)
    if len(entries) + added > len(coverage):  # some cores are gone
        changes.update((first, None) for first in entries.keys() - coverage.keys())
    return changes, rebased


# ---- the text of each line ------------------------------------------------------------------
def header_pieces(entries: dict[int, CoreEntry], order: list[int]) -> list[Piece]:
    """``/cpus  N core nodes  MISSING: @58, ...``."""
    n_fdt = sum(1 for e in entries.values() if e.coverage.in_fdt)
    pieces = [("/cpus", style("bold")), (f"  {n_fdt} core nodes", style(""))]
    missing = [entries[f] for f in order if entries[f].status == "missing"]
    if missing:
        names = ", ".join(e.name.rpartition("@")[2] for e in missing[:3])
        more = "…" if len(missing) > 3 else ""
        pieces.append((f"  MISSING: @{names}{more}", style(palette.ALARM)))
    return pieces


def core_pieces(entry: CoreEntry) -> list[Piece]:
    """The core's own line: in the FDT and online, MISSING, or in the FDT but offline."""
    if entry.status == "missing":
        return [
            ("✗ ", style(palette.BAD)),
            (entry.name, style(palette.BAD)),
            (" MISSING: panic lost", style(palette.ALARM)),
        ]
    if entry.status == "online":
        return [
            ("✓ ", style(palette.GOOD)),
            (entry.name, style("")),
            (f"  online {len(entry.online)}/{len(entry.threads)}", style(palette.OK)),
        ]
    return [
        ("○ ", style("dim")),
        (entry.name, style("dim")),
        ("  in FDT, offline", style("dim")),
    ]


def threads_pieces(entry: CoreEntry) -> list[Piece]:
    """``threads 88✓ 89✓ ...``: each thread's state (✗ when the node is missing)."""
    pieces = [("threads ", style("bold"))]
    missing = entry.status == "missing"
    for t in entry.threads:
        if missing:
            pieces.append((f"{t}✗ ", style(palette.BAD)))
        elif t in entry.online:
            pieces.append((f"{t}✓ ", style(palette.OK)))
        else:
            pieces.append((f"{t}○ ", style("dim")))
    return pieces


def sorted_props(entry: CoreEntry) -> list[tuple[str, bytes]]:
    """Properties in reading order: reg, interrupt servers, device_type, ..., then by name."""
    return sorted(
        (entry.props or {}).items(), key=lambda p: (FIRST_PROPS.get(p[0], len(FIRST_PROPS)), p[0])
    )


def prop_pieces(name: str, value: bytes) -> list[Piece]:
    return [(name, style("bold")), (" = " + decode_prop(value), style(""))]


def child_pieces(entry: CoreEntry) -> list[list[Piece]]:
    """The lines under an expanded core, decoded now (never before it is shown)."""
    return [threads_pieces(entry), *(prop_pieces(n, v) for n, v in sorted_props(entry))]


def plain(pieces: list[Piece]) -> str:
    return "".join(text for text, _ in pieces)
