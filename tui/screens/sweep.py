"""The sweep browser: a sweep's aggregate table and its chart; Enter replays a row.

``kdump-storm tui --sweep results.csv`` (or a .csv/.parquet answer to the open
dialog) shows one line per (point, strategy) with the mean and 95% interval over
the seeds of the chosen metric, and the chart of that metric against the first
varied key. Enter on a line opens that point's replay (the scenario file with the
point's values set, the strategy, the first seed) in the storm screen; Escape
there comes back. ``m`` cycles the metric. Every number comes from the engine
(``engine.sweep``); this screen only lays them out.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual_plotext import PlotextPlot

from tui import engine_link
from tui.playback import Playback
from tui.runs import Runs
from tui.screens.main import MainScreen

PREFERRED_METRICS = ("exposure_s", "fdt_hole.nospace", "monte_carlo.p_captured", "at_risk_s")


def _cell(iv: Any) -> str:
    if iv.mean is None:
        return "-"
    if iv.lo is None:
        return f"{iv.mean:.6g}"
    return f"{iv.mean:.6g} [{iv.lo:.6g}, {iv.hi:.6g}]"


class PointReplay(MainScreen):
    """The storm screen on one sweep point; Escape goes back to the browser."""

    BINDINGS = [*MainScreen.BINDINGS, Binding("escape", "back", "Back to the sweep")]

    def action_back(self) -> None:
        self.app.pop_screen()


class SweepScreen(Screen[None]):
    BINDINGS = [
        Binding("m", "next_metric", "Metric"),
        Binding("enter", "replay", "Replay row", show=True),
        Binding("escape", "close", "Back"),
        Binding("q", "quit", "Quit"),
    ]
    DEFAULT_CSS = """
    SweepScreen #sweep-title { height: auto; padding: 0 1; text-style: bold; }
    SweepScreen DataTable { height: 1fr; min-height: 6; }
    SweepScreen PlotextPlot { height: 2fr; min-height: 10; }
    """

    def __init__(self, path: str | Path, results: Any) -> None:
        super().__init__()
        self.path = Path(path)
        self.results = results
        numeric = [m for m in results.metrics if self._numeric(m)]
        self.metrics = [m for m in PREFERRED_METRICS if m in numeric] or numeric[:1]
        self.metrics += [m for m in numeric if m not in self.metrics]
        self.metric = self.metrics[0] if self.metrics else ""
        self.aggregates: list[Any] = []

    @classmethod
    def from_file(cls, path: str | Path) -> SweepScreen:
        return cls(path, engine_link.read_sweep(path))

    def _numeric(self, metric: str) -> bool:
        values = [dict(r.metrics).get(metric) for r in self.results.rows]
        return any(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values
        ) and not any(isinstance(v, str) for v in values)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="sweep-title")
            yield DataTable(id="sweep-table", cursor_type="row", zebra_stripes=True)
            yield PlotextPlot(id="sweep-chart")
        yield Footer()

    def on_mount(self) -> None:
        self.show_metric()

    def show_metric(self) -> None:
        self.aggregates = engine_link.sweep_aggregates(self.results, [self.metric])
        runs = len(self.results.rows)
        failed = sum(1 for r in self.results.rows if r.error)
        self.query_one("#sweep-title", Static).update(
            f"{self.path.name}: {self.results.source}, {runs} runs"
            + (f" ({failed} failed)" if failed else "")
            + f" - {self.metric} (m: next metric, Enter: replay the row)"
        )
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*self.results.keys, "strategy", "runs", f"{self.metric} mean [95%]")
        for agg in self.aggregates:
            ok = agg.runs - agg.failed
            table.add_row(
                *(s.value.text for s in agg.point.settings),
                agg.strategy,
                f"{ok}/{agg.runs}",
                _cell(agg.interval(self.metric)),
            )
        self.draw_chart()

    def draw_chart(self) -> None:
        chart = engine_link.sweep_chart(self.aggregates, self.metric)
        widget = self.query_one(PlotextPlot)
        plt = widget.plt
        plt.clear_figure()
        for s in chart.series:
            plt.plot(list(s.x), list(s.mean), label=s.label, marker="dot")
            half = s.half_widths
            if any(half):
                plt.error(list(s.x), list(s.mean), yerr=half)
        if chart.ticks:
            plt.xticks([x for x, _ in chart.ticks], [text for _, text in chart.ticks])
        plt.xlabel(chart.x_key)
        plt.title(f"{chart.metric}: mean and 95% interval over seeds")
        widget.refresh()

    def action_next_metric(self) -> None:
        if len(self.metrics) > 1:
            self.metric = self.metrics[(self.metrics.index(self.metric) + 1) % len(self.metrics)]
            self.show_metric()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.replay(event.cursor_row)

    def action_replay(self) -> None:
        self.replay(self.query_one(DataTable).cursor_row)

    def replay(self, index: int) -> None:
        from engine.errors import InputError

        if not 0 <= index < len(self.aggregates):
            return
        agg = self.aggregates[index]
        try:
            scenario = engine_link.sweep_scenario(self.results.source, agg.point)
        except (InputError, OSError) as err:
            self.notify(str(err), severity="error", timeout=8)
            return
        runs = Runs(scenario, self.results.source, [agg.strategy], agg.first_seed)
        self.app.push_screen(PointReplay(runs, Playback(clock=time.monotonic)))
        self.notify(f"{agg.point.label() or 'the scenario'}: {agg.strategy}, seed {agg.first_seed}")

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1 and not isinstance(self.app, SweepApp):
            self.app.pop_screen()

    def action_quit(self) -> None:
        self.app.exit()


class SweepApp(App[None]):
    """``kdump-storm tui --sweep FILE``: the browser, and the storm screen on demand."""

    CSS_PATH = str(Path(__file__).resolve().parent.parent / "app.tcss")
    TITLE = "kdump-storm sweep"

    def __init__(self, screen: SweepScreen) -> None:
        super().__init__()
        self.browser = screen

    def get_default_screen(self) -> Screen:
        return self.browser
