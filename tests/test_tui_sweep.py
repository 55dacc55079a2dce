"""The TUI sweep browser: aggregate table, chart, metric switch, a row's replay."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine.sweep.execute import run_local
from engine.sweep.grid import parse_vary
from engine.sweep.plan import make_plan
from engine.sweep.table import csv_bytes

SMALL = Path(__file__).resolve().parent / "data" / "sweep_small.toml"


@pytest.fixture(scope="module")
def results_csv(tmp_path_factory):
    plan = make_plan(SMALL, [parse_vary("storm.0.every=100ms,500ms")], seeds=2)
    path = tmp_path_factory.mktemp("sweep") / "rows.csv"
    path.write_bytes(csv_bytes(plan.source, plan.keys, run_local(plan.tasks).rows))
    return path


def test_the_browser_lists_each_point_and_strategy_and_replays_the_selected_row(results_csv):
    from textual.widgets import DataTable

    from tui.screens.sweep import PointReplay, SweepApp, SweepScreen

    async def scenario() -> None:
        screen = SweepScreen.from_file(results_csv)
        app = SweepApp(screen)
        async with app.run_test(size=(120, 40)) as pilot:
            table = screen.query_one(DataTable)
            # 2 points x 2 strategies ([compare] of sweep_small.toml)
            assert table.row_count == 4
            assert table.get_row_at(1)[:2] == ["100ms", "fdt-hole"]
            assert str(table.ordered_columns[-1].label) == "exposure_s mean [95%]"
            await pilot.press("m")
            assert str(table.ordered_columns[-1].label) == "fdt_hole.nospace mean [95%]"
            table.move_cursor(row=3)
            await pilot.press("enter")
            await pilot.pause()
            replay = app.screen
            assert isinstance(replay, PointReplay)
            session = replay.runs.sessions[0]
            assert (session.strategy, session.seed) == ("fdt-hole", 7)
            assert session.scenario.storms[0].every_s == 0.5  # the row's point, not the file's
            await pilot.press("escape")
            assert app.screen is screen

    asyncio.run(scenario())


def test_a_file_that_is_not_a_sweep_is_one_line_exit_2(tmp_path, capsys):
    from cli.main import main

    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    assert main(["tui", "--sweep", str(bad)]) == 2
    assert (
        capsys.readouterr().err
        == f"kdump-storm: {bad}: not a kdump-storm sweep: no column 'scenario'\n"
    )


def test_the_open_dialog_takes_a_sweep_file_and_escape_comes_back(results_csv):
    from tui.factory import make_app
    from tui.screens.sweep import SweepScreen

    async def scenario() -> None:
        app = make_app(SMALL, "fdt-hole")
        async with app.run_test(size=(120, 40)) as pilot:
            storm = app.screen
            storm.open_scenario(str(results_csv))
            await pilot.pause()
            assert isinstance(app.screen, SweepScreen)
            assert app.screen.results.keys == ("storm.0.every",)
            await pilot.press("escape")
            assert app.screen is storm

    asyncio.run(scenario())
