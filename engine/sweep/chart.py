"""What a sweep chart draws: per strategy, the metric's mean and interval along the first key.

The x position of a value is the number it stands for in the key's units (bytes for
a size, seconds for a duration, the number itself); values that are not numbers
(``kexec_load``) are placed 0, 1, 2, ... in the order given, with their text as
the tick label. Points that differ in the other varied keys become separate lines,
named by those values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.sweep.aggregate import Aggregate
from engine.sweep.values import Value
from engine.units import parse_duration, parse_size


@dataclass(frozen=True)
class Series:
    label: str
    x: tuple[float, ...]
    mean: tuple[float, ...]
    lo: tuple[float, ...]  # the interval; the mean itself where there is none (one seed)
    hi: tuple[float, ...]

    @property
    def half_widths(self) -> list[float]:
        """Each point's half interval (a Student-t interval is symmetric about the mean)."""
        return [(hi - lo) / 2 for lo, hi in zip(self.lo, self.hi, strict=True)]


@dataclass(frozen=True)
class Chart:
    metric: str
    x_key: str  # "" when nothing was varied
    x_unit: str  # "B", "s" or ""
    ticks: tuple[tuple[float, str], ...]  # x positions and the values as written
    series: tuple[Series, ...]


def x_number(value: Value) -> tuple[float, str] | None:
    """The value as a number, and its unit; None when it is not one."""
    v = value.toml
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v), ""
    for parse, unit in ((parse_duration, "s"), (parse_size, "B")):
        try:
            return float(parse(v)), unit
        except ValueError:
            continue
    return None


def chart(aggregates: Sequence[Aggregate], metric: str) -> Chart:
    """One series per strategy (and per combination of the other keys)."""
    if not aggregates or not aggregates[0].point.settings:
        x_key, values = "", [Value(0, "")]
    else:
        x_key = aggregates[0].point.settings[0].key
        values = list(
            {a.point.settings[0].value.text: a.point.settings[0].value for a in aggregates}.values()
        )
    numbers = [x_number(v) for v in values]
    numeric = all(n is not None for n in numbers) and len({n[1] for n in numbers if n}) == 1
    unit = numbers[0][1] if numeric and numbers[0] else ""
    where = {
        v.text: (n[0] if numeric and n else float(i))
        for i, (v, n) in enumerate(zip(values, numbers, strict=True))
    }
    lines: dict[str, list[tuple[float, float, float, float]]] = {}
    for agg in aggregates:
        iv = agg.interval(metric)
        if iv.mean is None:
            continue
        rest = ", ".join(f"{s.key}={s.value.text}" for s in agg.point.settings[1:])
        label = f"{agg.strategy} ({rest})" if rest else agg.strategy
        x = where[agg.point.settings[0].value.text] if x_key else 0.0
        lo = iv.lo if iv.lo is not None else iv.mean
        hi = iv.hi if iv.hi is not None else iv.mean
        lines.setdefault(label, []).append((x, iv.mean, lo, hi))
    series = tuple(
        Series(label, *(tuple(col) for col in zip(*sorted(pts), strict=True)))  # type: ignore[arg-type]
        for label, pts in lines.items()
    )
    ticks = tuple((where[v.text], v.text) for v in values) if x_key else ()
    return Chart(metric, x_key, unit, ticks, series)
