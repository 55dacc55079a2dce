"""Compare toggles do not keep removed panes alive (issue 14 item 9).

textual-plotext 1.0.1's plots never unsubscribed from the theme signal, so each
``v`` kept the removed pane (its plot, figure and styles) alive.
"""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from textual_plotext import PlotextPlot

from tui.factory import make_app

DEFAULT = Path(__file__).resolve().parent.parent / "scenarios" / "default.toml"


def alive(kind: type) -> int:
    gc.collect()
    return sum(isinstance(o, kind) for o in gc.get_objects())


def test_a_removed_pane_frees_its_plot() -> None:
    """The leak itself, fast: after six ``v v`` pairs, the remaining pane's plot and at
    most the last removed one (still referenced by the removal's last message) are alive;
    before the fix all seven were."""
    app = make_app(DEFAULT, "udev-reload", at=5.9)

    async def run() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            for _ in range(6):
                await pilot.press("v")
                await pilot.pause()
                await pilot.press("v")
                await pilot.pause()
            assert alive(PlotextPlot) <= 2

    asyncio.run(run())
