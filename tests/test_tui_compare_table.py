"""Compare mode's table is drawn straight into strips (tui/widgets/compare_table.py);
it must read as the Rich table of the same figures (the verdict and text exports)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from rich.style import Style

from tui import engine_link
from tui.factory import make_app
from tui.widgets.compare_table import VERDICT_ROWS, numbers_table, table_cells, table_strips

ROOT = Path(__file__).resolve().parent.parent


def cells_of(segments) -> list[tuple[str, bool]]:
    """(character, bold) of every cell, trailing blanks dropped (Rich pads to the table's
    width, Textual to the widget's)."""
    out = [(ch, bool((s.style or Style()).bold)) for s in segments for ch in s.text]
    while out and out[-1][0] == " ":
        out.pop()
    return out


@pytest.mark.parametrize(
    ("scenario", "a", "b", "at"),
    [("hole_too_small", "fdt-hole", "crash-hotplug", 60.0), ("default", "udev-reload", None, 5.9)],
)
@pytest.mark.parametrize("width", [200, 156, 100, 76, 60])
def test_the_table_strips_read_as_richs_table_of_the_same_figures(scenario, a, b, at, width):
    """Same characters and the same bold, line by line, at every width down to 60 (a
    compare pane at 80x24 gives the table 76); the verdict's extra row included."""
    app = make_app(ROOT / "scenarios" / f"{scenario}.toml", a, at=0.0, compare=b)
    sessions = app.runs.sessions
    for session in sessions:
        session.advance_to(at)
    metrics = [engine_link.metrics_of(s) for s in sessions]
    strategies = app.runs.strategies
    console = Console(width=width, file=io.StringIO())
    rich_lines = console.render_lines(
        numbers_table(strategies, metrics, VERDICT_ROWS), console.options, pad=False
    )
    cells = table_cells(strategies, metrics, VERDICT_ROWS)
    ours = table_strips(cells, len(strategies) + 1, width, Style())
    assert len(ours) == len(rich_lines) == 1 + len(VERDICT_ROWS)
    for rich_line, strip in zip(rich_lines, ours, strict=True):
        assert cells_of(list(strip)) == cells_of(rich_line)
        assert strip.cell_length <= width
