"""The /cpus tree widget, read line by line through ``render_line()`` (no screenshot).

A fake hole and machine (SMT2) make every state easy to reach: cores in the FDT
and online, offline but still in the FDT, online but MISSING from it. The fake
session's ``core_coverage()`` is the engine's, run on them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.app import App, ComposeResult

from engine.devicetree.cpu_coverage import CoreCoverage, core_coverage
from engine.run.session import Session
from engine.scenario.load import load_scenario
from tui.cpus_lines import SERVERS, u32_cells
from tui.widgets.cpus_tree import CpusTree

SMT = 2
DEFAULT = Path(__file__).resolve().parent.parent / "scenarios" / "default.toml"


def u32s(*values: int) -> bytes:
    return b"".join(v.to_bytes(4, "big") for v in values)


def node(core: int) -> tuple[str, dict[str, bytes]]:
    first = core * SMT
    return (
        f"PowerPC,POWER9@{first:x}",
        {
            "device_type": b"cpu\0",
            "reg": u32s(first),
            SERVERS: u32s(*range(first, first + SMT)),
            "ibm,chip-id": u32s(0),
        },
    )


class FakeHole:
    def __init__(self, cores: list[int]) -> None:
        self.generation = 0
        self.nodes = [node(c) for c in cores]

    def cpu_nodes(self) -> list[tuple[str, dict[str, bytes]]]:
        return self.nodes

    def cpu_node_servers(self) -> list[tuple[str, tuple[int, ...]]]:
        return [(name, tuple(u32_cells(props[SERVERS]))) for name, props in self.nodes]

    def write(self, cores: list[int]) -> None:
        """Rewrite /cpus; unchanged nodes keep their decoded dict, as the engine's cache does."""
        old = {n[1]["reg"]: n for n in self.nodes}
        self.nodes = [old.get(u32s(c * SMT)) or node(c) for c in cores]
        self.generation += 1


class FakeTemplate:
    def node_name(self, core: int, smt: int) -> str:
        return f"PowerPC,POWER9@{core * smt:x}"


class FakeMachine:
    smt = SMT
    cpu_model = "POWER9"
    template = FakeTemplate()

    def __init__(self, cores: list[int]) -> None:
        self.cpu_generation = 0
        self.present_cores = tuple(cores)
        self.online_threads = frozenset(t for c in cores for t in self.threads_of(c))

    def first_thread(self, core: int) -> int:
        return core * SMT

    def threads_of(self, core: int) -> range:
        return range(core * SMT, core * SMT + SMT)

    def set(self, cores: list[int], offline: tuple[int, ...] = ()) -> None:
        self.present_cores = tuple(cores)
        self.online_threads = frozenset(
            t for c in cores for t in self.threads_of(c) if t not in offline
        )
        self.cpu_generation += 1


class FakeSession:
    def __init__(self, cores: list[int]) -> None:
        self.hole = FakeHole(cores)
        self.machine = FakeMachine(cores)
        self._coverage: tuple[tuple[int, int], dict[int, CoreCoverage]] | None = None

    def core_coverage(self) -> dict[int, CoreCoverage]:
        """As ``Session.core_coverage()``: the same dict until the hole or the CPUs change."""
        key = (self.hole.generation, self.machine.cpu_generation)
        if self._coverage is None or self._coverage[0] != key:
            self._coverage = (key, core_coverage(self.hole, self.machine))  # type: ignore[arg-type]
        return self._coverage[1]


class TreeApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CpusTree()


def with_tree(check, size: tuple[int, int] = (50, 12)) -> None:
    """Run ``check(tree, pilot)`` (a coroutine) on a tree inside a live app."""

    async def body() -> None:
        app = TreeApp()
        async with app.run_test(size=size) as pilot:
            tree = app.query_one(CpusTree)
            await pilot.pause()
            await check(tree, pilot)

    asyncio.run(body())


def text(tree: CpusTree, y: int) -> str:
    return tree.render_line(y).text.rstrip()


def test_lines_mark_each_core_against_the_machine() -> None:
    async def check(tree: CpusTree, pilot) -> None:
        session = FakeSession([0, 1, 2])
        session.machine.set([0, 1, 2, 3], offline=(2, 3))  # core 1 offline, core 3 not in FDT
        assert tree.sync(session)
        await pilot.pause()
        assert text(tree, 0) == "▼ /cpus  3 core nodes  MISSING: @6"
        assert text(tree, 1) == "├── ▶ ✓ PowerPC,POWER9@0  online 2/2"
        assert text(tree, 2) == "├── ▶ ○ PowerPC,POWER9@2  in FDT, offline"
        assert text(tree, 3) == "├── ▶ ✓ PowerPC,POWER9@4  online 2/2"
        assert text(tree, 4) == "└── ▶ ✗ PowerPC,POWER9@6 MISSING: panic lost"
        assert text(tree, 5) == ""  # past the last line: blank, full width
        assert tree.render_line(5).cell_length == tree.scrollable_content_region.width
        assert tree.entry(6).status == "missing"

    with_tree(check)


def test_expanded_core_shows_threads_and_decoded_properties() -> None:
    async def check(tree: CpusTree, pilot) -> None:
        tree.sync(FakeSession([0, 1]))
        tree.expand_core(0)
        tree.expand_core(2)
        await pilot.pause()
        assert [text(tree, y) for y in range(1, 7)] == [
            "├── ▼ ✓ PowerPC,POWER9@0  online 2/2",
            "│   ├── threads 0✓ 1✓",
            "│   ├── reg = <0x0>",
            "│   ├── ibm,ppc-interrupt-server#s = <0x0 0x1>",
            '│   ├── device_type = "cpu"',
            "│   └── ibm,chip-id = <0x0>",
        ]
        assert text(tree, 7) == "└── ▼ ✓ PowerPC,POWER9@2  online 2/2"
        assert text(tree, 8) == "    ├── threads 2✓ 3✓"  # the last core: no guide under it
        assert tree.line_count == 1 + 2 * 6
        tree.collapse_core(0)
        await pilot.pause()
        assert text(tree, 2) == "└── ▼ ✓ PowerPC,POWER9@2  online 2/2"

    with_tree(check, size=(60, 16))


def test_long_lines_end_in_an_ellipsis() -> None:
    async def check(tree: CpusTree, pilot) -> None:
        tree.sync(FakeSession([0]))
        await pilot.pause()
        width = tree.scrollable_content_region.width
        line = tree.render_line(1)
        assert line.cell_length == width
        assert line.text.endswith("…")

    with_tree(check, size=(20, 6))


def shown(tree: CpusTree, rows: int) -> list[object]:
    """The strips the tree serves for its first ``rows`` lines, by identity (line 0, the
    /cpus line, carries the cursor: a fresh strip each time, so it reads as None)."""
    return [None, *(tree.render_line(y) for y in range(1, rows))]


def test_a_sync_rebuilds_only_the_lines_of_the_cores_that_changed() -> None:
    """Unchanged lines are served as the very same strips; a changed core's line is new."""

    async def check(tree: CpusTree, pilot) -> None:
        session = FakeSession([0, 1, 2, 3])
        tree.sync(session)
        await pilot.pause()
        before = shown(tree, 5)  # /cpus and cores 0..3
        assert tree.sync(session) is False  # same generations: nothing read
        assert all(a is b for a, b in zip(before[1:], shown(tree, 5)[1:], strict=True))
        session.machine.set([0, 1, 2, 3], offline=(4, 5))  # core 2 goes offline
        assert tree.sync(session)
        after = shown(tree, 5)
        rebuilt = [y for y in range(1, 5) if after[y] is not before[y]]
        assert rebuilt == [3]  # core 2's line (line 3)
        assert tree.entry(4).status == "offline"
        session.machine.set([0, 1, 2, 3, 4])  # core 4 online, not in the FDT yet
        tree.sync(session)
        assert (tree.entry(4).status, tree.entry(8).status) == ("online", "missing")
        again = shown(tree, 6)
        session.hole.write([0, 1, 2, 3, 4])  # its node written: only core 4 changes
        tree.sync(session)
        last = shown(tree, 6)
        assert [y for y in range(1, 6) if last[y] is not again[y]] == [5]
        assert tree.entry(8).status == "online"

    with_tree(check)


def test_equal_properties_in_new_dicts_redraw_nothing() -> None:
    """A new decode of the same node bytes (the strings block moved) redraws no core."""

    async def check(tree: CpusTree, pilot) -> None:
        session = FakeSession([0, 1, 2])
        tree.sync(session)
        await pilot.pause()
        before = shown(tree, 4)
        session.hole.nodes = [node(c) for c in (0, 1, 2)]  # equal, not the same dicts
        session.hole.generation += 1
        assert tree.sync(session)
        assert all(a is b for a, b in zip(before[1:], shown(tree, 4)[1:], strict=True))
        assert all(tree.entry(2 * c).props is session.hole.nodes[c][1] for c in range(3))
        session.machine.set([0, 1, 2], offline=(2, 3))
        tree.sync(session)
        after = shown(tree, 4)
        assert [y for y in range(1, 4) if after[y] is not before[y]] == [2]

    with_tree(check)


def test_incremental_lines_equal_a_fresh_tree() -> None:
    """Adds, removals and offlining in any order end as a tree built from scratch."""
    steps = [
        ([0, 1], [0, 1], ()),
        ([0, 1, 5], [0, 1], ()),
        ([0, 1, 5, 3], [0, 1, 5], (2,)),
        ([1, 5, 3], [1, 5, 3], ()),
        ([1, 3], [1, 3, 5], ()),
        ([1, 3, 7, 0], [0, 1, 3, 7], (6, 7)),
    ]

    async def check(tree: CpusTree, pilot) -> None:
        session = FakeSession([0])
        tree.expand_all_cores()
        for present, in_fdt, offline in steps:
            session.machine.set(present, offline)
            session.hole.write(in_fdt)
            tree.sync(session)
            fresh = CpusTree()
            fresh.expand_new_cores = True
            fresh.sync(session)
            assert tree._lines == fresh._lines
            assert tree.entries == fresh.entries
            coverage = session.core_coverage()
            assert [e.first_thread for e in tree.entries] == sorted(coverage)
            props = dict(session.hole.cpu_nodes())
            for entry in tree.entries:
                assert entry.coverage == coverage[entry.first_thread]
                assert entry.props == (props[entry.name] if entry.status != "missing" else None)

    with_tree(check)


def test_keys_move_the_cursor_and_expand() -> None:
    async def check(tree: CpusTree, pilot) -> None:
        tree.sync(FakeSession(list(range(12))))
        tree.focus()
        await pilot.pause()
        assert tree.cursor_line == 0
        await pilot.press("down", "down")
        assert tree.cursor_key == (2, 0)
        await pilot.press("right")  # expand
        assert tree.is_expanded(2) and tree.line_count == 13 + 5
        await pilot.press("right")  # into its first child
        assert tree.cursor_key == (2, 1)
        await pilot.press("left")  # back to the core line
        assert tree.cursor_key == (2, 0)
        await pilot.press("left")  # collapse
        assert not tree.is_expanded(2)
        await pilot.press("enter")
        assert tree.is_expanded(2)
        await pilot.press("space")
        assert not tree.is_expanded(2)
        await pilot.press("end")
        assert tree.cursor_line == tree.line_count - 1
        assert tree.scroll_offset.y > 0  # the cursor was scrolled into view
        await pilot.press("home")
        assert tree.cursor_line == 0 and tree.scroll_offset.y == 0
        await pilot.press("pagedown")
        assert tree.cursor_line == tree.scrollable_content_region.height - 1
        await pilot.press("a")
        assert tree.line_count == 1 + 12 * 6
        await pilot.press("A")
        assert tree.line_count == 13
        cursor = tree.get_component_rich_style("cpus-tree--cursor")
        row = tree.cursor_line - tree.scroll_offset.y
        assert any(
            seg.style and seg.style.bgcolor == cursor.bgcolor for seg in tree.render_line(row)
        )

    with_tree(check)


def test_click_selects_then_toggles() -> None:
    async def check(tree: CpusTree, pilot) -> None:
        tree.sync(FakeSession([0, 1, 2]))
        await pilot.pause()
        await pilot.click(CpusTree, offset=(12, 2))  # core @2's label
        assert tree.cursor_key == (2, 0) and not tree.is_expanded(2)
        await pilot.click(CpusTree, offset=(12, 2))  # again: expand
        assert tree.is_expanded(2)
        await pilot.click(CpusTree, offset=(4, 1))  # the ▶ of core @0: expand at once
        assert tree.is_expanded(0) and tree.cursor_key == (0, 0)

    with_tree(check)


def test_real_session_udev_reload_window() -> None:
    """The engine's hole and machine at 5.9 s: core @58 online, its node not in the FDT."""
    session = Session(load_scenario(DEFAULT), "udev-reload")
    session.advance_to(5.9)

    async def check(tree: CpusTree, pilot) -> None:
        tree.sync(session)
        await pilot.pause()
        names = {name for name, _ in session.hole.cpu_nodes()}
        assert {e.name for e in tree.entries if e.props is not None} == names
        # @50 too (changed: kexec_file_load reads the machine when its build starts,
        # before the digest and copy - kernel/kexec_file.c - so @50 came too late)
        assert "MISSING: @50, 58" in text(tree, 0)
        last = tree.line_count - 1
        assert text(tree, last).startswith("└── ▶ ✗ PowerPC,POWER9@58 MISSING")

    with_tree(check, size=(70, 20))


def test_statuses_are_the_engines_core_coverage() -> None:
    """The tree marks cores as ``Session.core_coverage()`` does, names and threads too."""
    session = Session(load_scenario(DEFAULT), "udev-reload")
    session.advance_to(5.9)
    coverage = session.core_coverage()
    assert coverage[0x58].status == "missing"

    async def check(tree: CpusTree, pilot) -> None:
        tree.sync(session)
        await pilot.pause()
        assert {e.first_thread: e.status for e in tree.entries} == {
            f: c.status for f, c in coverage.items()
        }
        assert all(tree.entry(f).coverage is c for f, c in coverage.items())
        assert tree.sync(session) is False  # the same coverage dict: nothing to do

    with_tree(check, size=(70, 20))


def test_another_session_replaces_every_line() -> None:
    """After a restart (``reset``) cores the new session lacks go away too."""

    async def check(tree: CpusTree, pilot) -> None:
        tree.sync(FakeSession(list(range(10))))
        restarted = FakeSession([0, 1])
        tree.reset()
        tree.sync(restarted)
        await pilot.pause()
        assert [e.first_thread for e in tree.entries] == [0, 2]
        assert tree.line_count == 3
        assert text(tree, 0) == "▼ /cpus  2 core nodes"

    with_tree(check)
