"""The TUI's seam to the engine is typed, and the app's runs follow the scenario opened."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

from tui.factory import make_app

ROOT = Path(__file__).resolve().parent.parent


def test_engine_link_names_no_untyped_any():
    tree = ast.parse((ROOT / "tui" / "engine_link.py").read_text())
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert "Any" not in names | imported


def test_opening_a_scenario_updates_the_apps_runs_too():
    app = make_app(ROOT / "scenarios" / "default.toml", "udev-reload", at=2.0)
    other = ROOT / "scenarios" / "large_lpar.toml"

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            screen = app.storm
            screen.open_scenario(str(other))
            await pilot.pause()
            # one Runs object: the app, the screen and the panes all see the new scenario
            assert app.runs is screen.runs
            assert app.runs.path == str(other)
            assert app.runs.scenario.source == str(other)
            assert app.runs.now_s == 0.0
            assert [p.session for p in screen.panes] == app.runs.sessions

    asyncio.run(run())
