"""Snapshot tests (pytest-textual-snapshot): each SVG shows what its name claims.

Every app comes from ``tui.factory.make_app`` with simulated time set explicitly
(``at=``); nothing plays in real time. The facts each picture shows are asserted
through widget state in tests/test_tui_app.py (same scenario, same instants).
Update with ``TEXTUAL_ANIMATIONS=none python3 -m pytest tests/test_tui_snapshots.py
--snapshot-update`` and look at the SVGs before committing them.
"""

from __future__ import annotations

from pathlib import Path

from tui.factory import make_app
from tui.screens.main import MainScreen

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "scenarios" / "default.toml"
IN_WINDOW_S = 5.9  # udev-reload: image unloaded, core @58 online but missing from the FDT


def storm(pilot) -> MainScreen:
    return pilot.app.storm


async def zoom_in(pilot) -> None:
    """0.1 s per column around the cursor, so the window and its neighbours are legible."""
    await pilot.pause()  # the main screen is mounted
    await pilot.press("z", "z", "z")
    await pilot.pause()


def test_opening_screen(snap_compare) -> None:
    """The default scenario at t = 0 under udev-reload: image loaded, 8 cores, nothing yet."""
    app = make_app(DEFAULT, "udev-reload")
    assert snap_compare(app, terminal_size=(120, 40))


def test_udev_reload_unload_window(snap_compare) -> None:
    """udev-reload at 5.9 s: image UNLOADED (red), segments being copied highlighted,
    core @58 MISSING in /cpus, red no-dump window on the readiness lane at the cursor."""
    app = make_app(DEFAULT, "udev-reload", at=IN_WINDOW_S)
    assert snap_compare(app, terminal_size=(120, 40), run_before=zoom_in)


def test_fdt_hole_same_instant(snap_compare) -> None:
    """fdt-hole at the same 5.9 s: image loaded, every online core in the hole (@58
    included), the hole's fill and room for more nodes, green readiness, kernel updates."""
    app = make_app(DEFAULT, "fdt-hole", at=IN_WINDOW_S)
    assert snap_compare(app, terminal_size=(120, 40), run_before=zoom_in)


def test_compare_mode(snap_compare) -> None:
    """udev-reload vs fdt-hole side by side at 5.9 s on one clock."""
    app = make_app(DEFAULT, "udev-reload", at=IN_WINDOW_S, compare="fdt-hole")
    assert snap_compare(app, terminal_size=(160, 50), run_before=zoom_in)


def test_node_expanded(snap_compare) -> None:
    """fdt-hole at 5.9 s with the newest core's node (@58) expanded: its threads and
    its properties decoded from the hole (reg, ibm,ppc-interrupt-server#s, ...)."""
    app = make_app(DEFAULT, "fdt-hole", at=IN_WINDOW_S)

    async def expand(pilot) -> None:
        await pilot.pause()
        tree = storm(pilot).panes[0].cpus_tree
        tree.move_cursor(tree.expand_core(0x58))  # the cursor on @58, scrolled into view
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=expand)


def test_help_screen(snap_compare) -> None:
    """The help screen, generated from the command table."""
    app = make_app(DEFAULT, "udev-reload")
    assert snap_compare(app, terminal_size=(120, 40), press=["question_mark"])


def test_small_terminal(snap_compare) -> None:
    """80x24, udev-reload in the unload window: compact region, tree, stats and timeline."""
    app = make_app(DEFAULT, "udev-reload", at=IN_WINDOW_S)
    assert snap_compare(app, terminal_size=(80, 24), run_before=zoom_in)
