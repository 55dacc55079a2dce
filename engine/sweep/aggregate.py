"""Rows per (point, strategy, seed) reduced to a mean and 95% interval per (point, strategy)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.sweep.grid import Point
from engine.sweep.stats import Interval, mean_ci95
from engine.sweep.task import Row


@dataclass(frozen=True)
class Aggregate:
    """One (point, strategy): how many seeds ran, failed, and each metric's interval."""

    point: Point
    strategy: str
    runs: int
    failed: int
    intervals: tuple[tuple[str, Interval], ...]
    first_error: str = ""
    first_seed: int | None = None  # the seed a replay of this row starts from

    def interval(self, metric: str) -> Interval:
        return dict(self.intervals)[metric]


def _number(value: object) -> float | None:
    if value is None or isinstance(value, str):
        return None
    return float(value)  # type: ignore[arg-type]


def aggregate(rows: Sequence[Row], metrics: Sequence[str]) -> list[Aggregate]:
    """In the order of the rows' first appearance (point, then strategy)."""
    groups: dict[tuple[int, str], list[Row]] = {}
    for row in sorted(rows, key=lambda r: r.index):
        groups.setdefault((row.point.index, row.strategy), []).append(row)
    out = []
    for group in groups.values():
        good = [r for r in group if not r.error]
        intervals = []
        for metric in metrics:
            values = [_number(dict(r.metrics).get(metric)) for r in good]
            intervals.append((metric, mean_ci95([v for v in values if v is not None])))
        errors = [r.error for r in group if r.error]
        out.append(
            Aggregate(
                group[0].point,
                group[0].strategy,
                len(group),
                len(errors),
                tuple(intervals),
                errors[0] if errors else "",
                group[0].seed,
            )
        )
    return out
