"""The engine's metrics so far, and cumulative exposure over simulated time (plotext)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from tui import fmt


def _num(value: Any, unit: str = "") -> str:
    if isinstance(value, float):
        return f"{value:.3f}{unit}"
    return f"{value}{unit}"


def metric_text(metrics: Mapping[str, Any]) -> Text:
    """The headline metrics of ``Session.metrics()`` as ``label value`` pairs."""
    windows = metrics.get("windows") or {}
    hole = metrics.get("fdt_hole") or {}
    probes = metrics.get("probes") or []
    pairs: list[tuple[str, str, str]] = [
        (
            "exposure",
            _num(metrics.get("exposure_s", 0.0), " s"),
            "bold red" if metrics.get("exposure_s") else "bold green",
        ),
        ("at risk", _num(metrics.get("at_risk_s", 0.0), " s"), "bold"),
        ("windows", _num(windows.get("count", 0)), "bold"),
        ("longest", _num(windows.get("max_s", 0.0), " s"), "bold"),
        ("reloads", _num(metrics.get("reloads", 0)), "bold"),
        ("dropped uevents", _num(metrics.get("dropped_uevents", 0)), "bold"),
        ("kernel updates", _num(metrics.get("kernel_updates", 0)), "bold"),
        ("skipped", _num(metrics.get("skipped_updates", 0)), "bold"),
    ]
    if hole:
        size = int(hole.get("size_bytes", 0)) or 1
        used = int(hole.get("used_bytes", 0))
        peak = int(hole.get("peak_used_bytes", used))
        pairs.append(
            (
                "FDT",
                f"{fmt.size(used)} ({100 * used / size:.1f}%), peak "
                f"{fmt.size(peak)}, NOSPACE {hole.get('nospace', 0)}",
                "bold",
            )
        )
    if probes:
        lost = sum(1 for p in probes if p.get("result") != "captured")
        pairs.append(("crash probes", f"{len(probes)} ({lost} lost)", "bold"))
    text = Text()
    for i, (label, value, style) in enumerate(pairs):
        if i:
            text.append("  ")
        text.append(label + " ", style="dim")
        text.append(value, style=style)
    return text


class StatsPanel(Vertical):
    """Metrics line plus the exposure chart; the owner decides when to ``show()``."""

    DEFAULT_CSS = """
    StatsPanel { width: 1fr; height: 1fr; }
    StatsPanel > Static { height: auto; max-height: 4; }
    StatsPanel > PlotextPlot { height: 1fr; min-height: 3; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.samples: list[tuple[float, float]] = [(0.0, 0.0)]
        self.metrics: Mapping[str, Any] = {}
        self.duration_s = 1.0

    def compose(self) -> ComposeResult:
        yield Static(id="metrics")
        yield PlotextPlot(id="exposure")

    def reset(self) -> None:
        self.samples = [(0.0, 0.0)]

    def sample(self, now_s: float, metrics: Mapping[str, Any]) -> None:
        """Remember the metrics at ``now_s`` (one point of the exposure curve)."""
        self.metrics = metrics
        exposure = float(metrics.get("exposure_s", 0.0))
        if now_s > self.samples[-1][0]:
            self.samples.append((now_s, exposure))
        elif now_s == self.samples[-1][0]:
            self.samples[-1] = (now_s, exposure)

    def show(self, duration_s: float) -> None:
        """Redraw the metrics and the chart from the samples taken so far."""
        self.duration_s = duration_s
        self.query_one("#metrics", Static).update(metric_text(self.metrics))
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        xs = [t for t, _ in self.samples]
        ys = [e for _, e in self.samples]
        plt.plot(xs, ys, marker="braille")
        plt.title("cumulative exposure (s)")
        plt.xlim(0, max(duration_s, 1e-9))
        plt.ylim(0, max(max(ys) * 1.1, 0.1))
        plot.refresh()
