"""One numbers table for one or two strategies (and their difference): the engine's metrics.

The same rows make compare mode's table and the verdict at the end of a replay;
every figure is a key of ``Session.metrics()``, formatted, never recomputed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

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


def table_cells(
    strategies: Sequence[str], metrics: Sequence[Metrics], rows: Sequence[Row] = ROWS
) -> list[list[str | Text]]:
    """The header row, then a row per figure: label, a value per strategy, ``B - A``."""
    header: list[str | Text] = ["", *strategies]
    if len(metrics) == 2:
        header.append(f"{strategies[1]} - {strategies[0]}")
    cells = [header]
    for row in rows:
        line: list[str | Text] = [row.label, *(row.show(m) for m in metrics)]
        if len(metrics) == 2:
            line.append(_difference(row, metrics[0], metrics[1]))
        cells.append(line)
    return cells


def numbers_table(
    strategies: Sequence[str], metrics: Sequence[Metrics], rows: Sequence[Row] = ROWS
) -> Table:
    """Rows of figures, a column per strategy, and ``B - A`` when there are two."""
    header, *body = table_cells(strategies, metrics, rows)
    table = Table(box=None, expand=False, pad_edge=False, show_header=True, header_style="bold")
    for i, name in enumerate(header):
        table.add_column(name, no_wrap=True, style="bold" if i <= len(strategies) else "")
    for cells in body:
        table.add_row(*cells)
    return table


BOLD = Style(bold=True)
PLAIN = Style()
_CONSOLE = Console(width=1000, color_system=None, file=io.StringIO())  # Text.render's defaults


def _reduce_evenly(excess: int, widths: list[int]) -> list[int]:
    """Take ``excess`` cells off the columns in equal shares (what Rich's table does to
    no_wrap columns that do not fit: ``rich._ratio.ratio_reduce`` with equal ratios)."""
    left, shares, out = excess, len(widths), []
    for width in widths:
        cut = min(width, round(left / shares))
        out.append(width - cut)
        left -= cut
        shares -= 1
    return out


def table_strips(
    cells: list[list[str | Text]], bold_columns: int, width: int, base: Style
) -> list[Strip]:
    """The table as ``numbers_table`` draws it in Rich (no box, two cells between
    columns, bold header and value columns, ellipsis when cut), built straight into
    strips: Rich's table layout took ~15 ms for these 13 lines (it measures and
    renders every cell through its console several times)."""
    columns = len(cells[0])
    natural = [max(cell_len(str(row[c])) for row in cells) for c in range(columns)]
    pads = [(0 if c == 0 else 1) + (0 if c == columns - 1 else 1) for c in range(columns)]
    widths = [n + p for n, p in zip(natural, pads, strict=True)]
    if sum(widths) > width:
        widths = _reduce_evenly(sum(widths) - width, widths)
    strips = []
    for r, row in enumerate(cells):
        segments: list[Segment] = []
        for c, cell in enumerate(row):
            style = base + (BOLD if r == 0 or c < bold_columns else PLAIN)
            inner = max(widths[c] - pads[c], 0)
            text = cell if isinstance(cell, Text) else Text(cell)
            if text.cell_len > inner:
                text = text.copy()
                text.truncate(inner, overflow="ellipsis")
            if c:
                segments.append(Segment(" ", style))  # the cell's left padding
            # the text, filled to the cell's width in its own style (as Rich pads a Text)
            own = style + _CONSOLE.get_style(text.style) if text.style else style
            segments += [
                Segment(seg.text, own + seg.style if seg.style else own)
                for seg in text.render(_CONSOLE)
                if seg.text
            ]
            if inner > text.cell_len:
                segments.append(Segment(" " * (inner - text.cell_len), own))
            if c < columns - 1:
                segments.append(Segment(" ", style))  # its right padding
        strips.append(Strip(segments))
    return strips


class CompareTable(Widget):
    """Compare mode's numbers: both strategies and their difference, at the header's instant.

    Line API: ``show`` keeps the cells; the strips are built for the widget's width when
    a line is asked for, once per ``show`` (or resize).
    """

    DEFAULT_CSS = """
    CompareTable { height: auto; max-height: 15; padding: 0 1; border: round $primary-darken-1; }
    CompareTable.-compact { max-height: 7; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics: list[Metrics] = []
        self.strategies: tuple[str, ...] = ()
        self._cells: list[list[str | Text]] = []
        self._strips: tuple[int, list[Strip]] | None = None  # (width, strips)
        self._shape: tuple[tuple[str, ...], int] | None = None  # (columns, rows) laid out

    @property
    def table(self) -> Table:
        """The same figures as a Rich table (for text exports and tests)."""
        return numbers_table(self.strategies, self.metrics)

    def show(self, strategies: Sequence[str], metrics: Sequence[Metrics]) -> None:
        """The figures now; a layout only when the table's columns or rows change (every
        cell is no_wrap, so its height is its row count: new figures keep it, and a
        layout reflows the whole screen, ~35 ms with two panes of large_lpar)."""
        self.metrics = list(metrics)
        self.strategies = tuple(strategies)
        self._cells = table_cells(strategies, metrics)
        self._strips = None
        shape = (self.strategies, len(self._cells))
        self.refresh(layout=shape != self._shape)
        self._shape = shape

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._cells)

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        if self._strips is None or self._strips[0] != width:
            base = self.rich_style
            bold = len(self.strategies) + 1  # the label and value columns
            self._strips = (
                width,
                table_strips(self._cells, bold, width, base) if self._cells else [],
            )
        strips = self._strips[1]
        return strips[y] if 0 <= y < len(strips) else Strip.blank(width, self.rich_style)
