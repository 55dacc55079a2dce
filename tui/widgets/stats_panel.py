"""The engine's metrics so far, and its cumulative exposure series over simulated time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.visual import visualize
from textual.widgets import Static

from tui import fmt, palette
from tui.engine_link import Metrics, Result
from tui.widgets.exposure_chart import ExposureChart


def _num(value: float | int, unit: str = "") -> str:
    if isinstance(value, float):
        return f"{value:.3f}{unit}"
    return f"{value}{unit}"


def metric_text(metrics: Metrics | None) -> Text:
    """The headline metrics of ``Session.metrics()`` as ``label value`` pairs."""
    if metrics is None:
        return Text()
    windows, hole, probes = metrics.windows, metrics.fdt_hole, metrics.probes
    # key figures first: a small panel cuts the last ones
    exposure = metrics.exposure_s
    pairs: list[tuple[str, str, str]] = [
        ("exposure", _num(exposure, " s"), palette.BAD if exposure else palette.GOOD),
        ("at risk", _num(metrics.at_risk_s, " s"), "bold"),
    ]
    if probes:
        lost = sum(1 for p in probes if p.result != Result.CAPTURED)
        pairs.append(("probes lost", f"{lost} of {len(probes)}", palette.BAD if lost else "bold"))
    size = hole.size_bytes or 1
    pairs += [
        ("NOSPACE", _num(hole.nospace), palette.BAD if hole.nospace else "bold"),
        ("longest", _num(windows.max_s, " s"), "bold"),
        ("windows", _num(windows.count), "bold"),
        ("reloads", _num(metrics.reloads), "bold"),
        ("kernel updates", _num(metrics.kernel_updates), "bold"),
        ("skipped", _num(metrics.skipped_updates), "bold"),
        ("dropped uevents", _num(metrics.dropped_uevents), "bold"),
        (
            "FDT",
            f"{fmt.size(hole.used_bytes)} ({100 * hole.used_bytes / size:.1f}%), peak "
            f"{fmt.size(hole.peak_used_bytes)}",
            "bold",
        ),
    ]
    text = Text()
    for i, (label, value, style) in enumerate(pairs):
        if i:
            text.append("  ")
        text.append(label + " ", style=palette.MUTED)
        text.append(value, style=style)
    return text


class StatsPanel(Vertical):
    """Metrics line plus the exposure chart; the owner decides when to ``show()``."""

    DEFAULT_CSS = """
    StatsPanel { width: 1fr; height: 1fr; }
    StatsPanel > Static { height: auto; max-height: 4; }
    StatsPanel > ExposureChart { height: 1fr; min-height: 3; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics: Metrics | None = None
        self.chart = ExposureChart(id="exposure")
        self._metrics_lines: tuple[int, int] | None = None  # (width, lines) last laid out

    def compose(self) -> ComposeResult:
        yield Static(id="metrics")
        yield self.chart

    def show_metrics(self, metrics: Metrics) -> None:
        """Redraw the metrics line; a layout only when it wraps to another number of lines
        (a layout reflows the whole screen)."""
        self.metrics = metrics
        static = self.query_one("#metrics", Static)
        visual = visualize(static, metric_text(metrics))
        width = static.content_region.width
        # Textual 8.2 annotates get_height's rules as RulesMap but documents passing
        # a widget's styles, as its own widgets do
        height = visual.get_height(static.styles, width) if width > 0 else 0  # type: ignore[arg-type]
        lines = (width, height) if width > 0 else None
        static.update(visual, layout=lines is None or lines != self._metrics_lines)
        self._metrics_lines = lines

    @property
    def series(self) -> Sequence[tuple[float, float]]:
        """The exposure series the chart was last given."""
        return self.chart.series

    def show_chart(
        self,
        series: Sequence[tuple[float, float]],
        duration_s: float,
        *,
        y_max: float | None = None,
    ) -> None:
        """Redraw the chart of ``Session.exposure_series()`` (on ``0 .. y_max`` if given:
        compare mode's shared scale); a chart that already shows it draws nothing."""
        self.chart.show(series, duration_s, y_max=y_max)
