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


HOLE_TOO_SMALL = ROOT / "scenarios" / "hole_too_small.toml"
MIXED = ROOT / "scenarios" / "mixed_churn.toml"


def test_legend_strip(snap_compare) -> None:
    """``l``: the legend strip under the timeline, every glyph of every lane."""
    app = make_app(DEFAULT, "udev-reload", at=IN_WINDOW_S)
    assert snap_compare(app, terminal_size=(160, 50), press=["l"])


def test_lost_probe_detail(snap_compare) -> None:
    """hole_too_small under fdt-hole, ``j j`` from 10 s: the second probe at 10.77 s, on
    CPU 0, is lost (cpu-missing-in-fdt: the boot core's node went on NOSPACE) and
    nothing covered it."""
    app = make_app(HOLE_TOO_SMALL, "fdt-hole", at=10.0)
    assert snap_compare(app, terminal_size=(160, 50), press=["j", "j"])


def test_verdict_at_the_end_of_the_default_scenario(snap_compare) -> None:
    """The verdict of udev-reload vs fdt-hole at 90 s: exposure, longest window, probes
    lost and why, P(captured) with its interval, reloads, updates, hole use, settle."""
    app = make_app(DEFAULT, "udev-reload", at=90.0, compare="fdt-hole")
    assert snap_compare(app, terminal_size=(160, 50), press=["V"])


def test_compare_hole_too_small_nospace_on_both_sides(snap_compare) -> None:
    """fdt-hole vs crash-hotplug at 60 s: one table with NOSPACE (15 vs 0), probes lost,
    the difference column; FDT STALE on the left; charts on one y-scale."""
    app = make_app(HOLE_TOO_SMALL, "fdt-hole", at=60.0, compare="crash-hotplug")
    assert snap_compare(app, terminal_size=(160, 50))


def test_memory_view_during_mixed_churn(snap_compare) -> None:
    """``m`` at 44 s under fdt-hole: 256 MiB online at 0xff0000000 is in no PT_LOAD."""
    app = make_app(MIXED, "fdt-hole", at=44.0)
    assert snap_compare(app, terminal_size=(120, 40), press=["m"])


def test_coarse_zoom_tells_fdt_hole_from_udev_reload(snap_compare) -> None:
    """The whole default run at 1 s a column: udev-reload's readiness is a full red band
    (85 s of exposure), fdt-hole's a few low slivers (0.7 s)."""
    app = make_app(DEFAULT, "udev-reload", at=90.0, compare="fdt-hole")
    assert snap_compare(app, terminal_size=(160, 50))
