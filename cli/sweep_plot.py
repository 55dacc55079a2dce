"""Drawing a sweep chart (``engine.sweep.chart``): plotext in the terminal, matplotlib to a file.

Each strategy is a line through the means, with the 95% interval drawn as error
bars (plotext) or a shaded band (matplotlib).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from engine.errors import InputError
from engine.sweep.chart import Chart

IMAGE_FORMATS = (".png", ".svg")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _axis_title(chart: Chart) -> str:
    if not chart.x_key:
        return "(nothing varied)"
    return chart.x_key  # the ticks carry the values as written, units and all


def terminal_chart(chart: Chart, *, width: int = 100, height: int = 25, color: bool = False) -> str:
    """The chart as text (plotext), with axes, ticks and one labelled line per series."""
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    if not color:
        plt.theme("clear")
    for s in chart.series:
        plt.plot(list(s.x), list(s.mean), label=s.label, marker="dot")
        half = s.half_widths
        if any(half):
            plt.error(list(s.x), list(s.mean), yerr=half)
    if chart.ticks:
        plt.xticks([x for x, _ in chart.ticks], [text for _, text in chart.ticks])
    plt.xlabel(_axis_title(chart))
    plt.ylabel(chart.metric)
    plt.title(f"{chart.metric}: mean and 95% interval over seeds")
    text = str(plt.build())
    plt.clear_figure()
    return text if color else _ANSI.sub("", text)


def image_bytes(chart: Chart, path: str | Path) -> bytes:
    """The chart as a PNG or SVG image (matplotlib, no display needed)."""
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_FORMATS:
        raise InputError(
            str(path), f"--plot-file: use a .png or .svg name, not {suffix or 'none'!r}"
        )
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), dpi=100)
    ax = fig.add_subplot()
    for s in chart.series:
        (line,) = ax.plot(s.x, s.mean, marker="o", label=s.label)
        ax.fill_between(s.x, s.lo, s.hi, color=line.get_color(), alpha=0.2, linewidth=0)
    if chart.ticks:
        ax.set_xticks([x for x, _ in chart.ticks], [text for _, text in chart.ticks])
    ax.set_xlabel(_axis_title(chart))
    ax.set_ylabel(f"{chart.metric} (mean, 95% interval)")
    ax.set_title(f"{chart.metric} against {chart.x_key or 'nothing'}")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=suffix[1:], metadata={"Date": None} if suffix == ".svg" else None)
    return buf.getvalue()
