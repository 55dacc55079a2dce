"""One numbers table for one or two strategies (and their difference): the engine's metrics.

The same rows make compare mode's table and the verdict at the end of a replay;
every figure is a key of ``Session.metrics()``, formatted, never recomputed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui import fmt
from tui.engine_link import Metrics, Result


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    value: Callable[[Metrics], float | int | None]
    show: Callable[[Metrics], str]
    worse_when_higher: bool | None = True  # is more bad? None: neither (just the difference)
    in_bytes: bool = False  # the difference is a size: shown with its unit


def _get(*path: str) -> Callable[[Metrics], Any]:
    """``m.windows.count`` for ``("windows", "count")``: a field of the engine's Metrics."""

    def get(m: Metrics) -> Any:
        value: Any = m
        for name in path:
            value = getattr(value, name)
        return value

    return get


def _s(path: tuple[str, ...]) -> Callable[[Metrics], str]:
    get = _get(*path)
    return lambda m: "never" if get(m) is None else f"{get(m):.3f} s"


def _n(path: tuple[str, ...]) -> Callable[[Metrics], str]:
    get = _get(*path)
    return lambda m: str(get(m) if get(m) is not None else 0)


def _lost(m: Metrics) -> int:
    return sum(1 for p in m.probes if p.result != Result.CAPTURED)


def _lost_text(m: Metrics) -> str:
    probes = m.probes
    causes: dict[str, int] = {}
    for p in probes:
        if p.result != Result.CAPTURED:
            why = str(p.cause or p.result)
            causes[why] = causes.get(why, 0) + 1
    why = ", ".join(f"{n} {c}" for c, n in causes.items())
    return f"{_lost(m)} of {len(probes)}" + (f" ({why})" if why else "")


def _fill(m: Metrics) -> str:
    size = m.fdt_hole.size_bytes or 1
    peak = m.fdt_hole.peak_used_bytes
    return f"{fmt.size(peak)} of {fmt.size(size)} ({100 * peak / size:.1f}%)"


def _p_captured(m: Metrics) -> str:
    mc = m.monte_carlo
    if not mc.runs:
        return "-"
    lo, hi = mc.ci95
    return f"{mc.p_captured:.4f} [{lo:.4f}, {hi:.4f}]"


ROWS: tuple[Row, ...] = (
    Row("exposure", _get("exposure_s"), _s(("exposure_s",))),
    Row("at risk", _get("at_risk_s"), _s(("at_risk_s",))),
    Row("incomplete", _get("incomplete_s"), _s(("incomplete_s",))),
    Row("no-dump windows", _get("windows", "count"), _n(("windows", "count")), None),
    Row("longest window", _get("windows", "max_s"), _s(("windows", "max_s"))),
    Row("probes lost", _lost, _lost_text),
    Row("reloads", _get("reloads"), _n(("reloads",)), None),
    Row("kernel updates", _get("kernel_updates"), _n(("kernel_updates",)), None),
    Row("NOSPACE", _get("fdt_hole", "nospace"), _n(("fdt_hole", "nospace"))),
    Row("dropped uevents", _get("dropped_uevents"), _n(("dropped_uevents",))),
    Row("FDT peak", _get("fdt_hole", "peak_used_bytes"), _fill, None, in_bytes=True),
    Row("settle", _get("settle_s"), _s(("settle_s",))),
)
VERDICT_ROWS: tuple[Row, ...] = (
    *ROWS,
    Row("P(captured)", _get("monte_carlo", "p_captured"), _p_captured, worse_when_higher=False),
)


def _difference(row: Row, a: Metrics, b: Metrics) -> Text:
    va, vb = row.value(a), row.value(b)
    if not isinstance(va, int | float) or not isinstance(vb, int | float):
        return Text("")
    d = vb - va
    if d == 0:
        return Text("=")
    if row.in_bytes:
        text = ("+" if d > 0 else "-") + fmt.size(abs(int(d)))
    else:
        text = f"{d:+.3f}" if isinstance(d, float) else f"{d:+d}"
    if row.worse_when_higher is None:
        return Text(text)
    better = (d < 0) == row.worse_when_higher
    return Text(text + (" better" if better else " worse"), style="bold" if not better else "")


def numbers_table(
    strategies: Sequence[str], metrics: Sequence[Metrics], rows: Sequence[Row] = ROWS
) -> Table:
    """Rows of figures, a column per strategy, and ``B - A`` when there are two."""
    table = Table(box=None, expand=False, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("", style="bold", no_wrap=True)
    for name in strategies:
        table.add_column(name, no_wrap=True, style="bold")
    if len(metrics) == 2:
        table.add_column(f"{strategies[1]} - {strategies[0]}", no_wrap=True)
    for row in rows:
        cells: list[str | Text] = [row.label, *(row.show(m) for m in metrics)]
        if len(metrics) == 2:
            cells.append(_difference(row, metrics[0], metrics[1]))
        table.add_row(*cells)
    return table


class CompareTable(Static):
    """Compare mode's numbers: both strategies and their difference, at the header's instant."""

    DEFAULT_CSS = """
    CompareTable { height: auto; max-height: 15; padding: 0 1; border: round $primary-darken-1; }
    CompareTable.-compact { max-height: 7; }
    """

    _shape: tuple[tuple[str, ...], int] | None = None  # (columns, rows) last laid out

    def show(self, strategies: Sequence[str], metrics: Sequence[Metrics]) -> None:
        """The figures now; a layout only when the table's columns or rows change (every
        cell is no_wrap, so its height is its row count: new figures keep it, and a
        layout reflows the whole screen, ~35 ms with two panes of large_lpar)."""
        self.metrics = list(metrics)
        self.table = numbers_table(strategies, metrics)
        shape = (tuple(strategies), self.table.row_count)
        self.update(self.table, layout=shape != self._shape)
        self._shape = shape
