"""A ``kdump-storm reproduce`` case: a scenario file with a ``[reproduce]`` table.

The scenario rebuilds one published measurement; ``[reproduce]`` names the
strategy, which published figure set which parameter (``parameters``), and
the published numbers the run is held to (``[[reproduce.check]]``)::

    [reproduce]
    strategy = "udev-throttled"
    parameters = [{ key = "udev.pid1", figure = "86 s / 3840 events (RHEL8, one DIMM)" }]

    [[reproduce.check]]
    quantity = "udev_drained_s"     # engine.run.quantities.Quantity
    published = 86.0
    source = "DeVolder, LKML, 14 Dec 2020"
    kind = "measured"               # measured | estimated | stated
    tolerance = 0.25                # relative; or low = / high = for a published range
    reason = ""                     # why a tolerance other than 25%
    conflict = ""                   # where two published figures cannot both hold
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.run.quantities import Quantity
from engine.scenario.load import Scenario, parse_scenario
from engine.scenario.reader import Reader
from engine.user_files import read_user_file

DEFAULT_TOLERANCE = 0.25


class FigureKind(StrEnum):
    MEASURED = "measured"  # the author timed it
    ESTIMATED = "estimated"  # the author's own estimate (e.g. "86/4 = 21")
    STATED = "stated"  # said, not counted (e.g. "3840 unload-then-reload operations")


@dataclass(frozen=True)
class Parameter:
    key: str
    figure: str


@dataclass(frozen=True)
class Check:
    quantity: Quantity
    published: float
    source: str
    kind: FigureKind
    tolerance: float = DEFAULT_TOLERANCE
    low: float | None = None
    high: float | None = None
    reason: str = ""
    conflict: str = ""

    def holds(self, model: float) -> bool:
        if self.low is not None and self.high is not None:
            slack = 1e-9 * max(1.0, abs(self.high))  # float sums of exact published bounds
            return self.low - slack <= model <= self.high + slack
        return abs(model - self.published) <= self.tolerance * abs(self.published)

    def tolerance_text(self) -> str:
        if self.low is not None and self.high is not None:
            return f"range {self.low:g}-{self.high:g}"
        return f"±{self.tolerance * 100:g}%"


@dataclass(frozen=True)
class Case:
    path: Path
    scenario: Scenario
    strategy: str
    parameters: tuple[Parameter, ...]
    checks: tuple[Check, ...]


def _check(r: Reader, raw: object, w: str) -> Check | None:
    t = r.section(raw, w)
    quantity = r.field(t, w, "quantity")
    if quantity is not None and quantity not in {q.value for q in Quantity}:
        known = ", ".join(q.value for q in Quantity)
        r.error(f"{w}.quantity", f"unknown quantity {quantity!r}; known: {known}")
        quantity = None
    published = r.field(t, w, "published")
    low, high = r.field(t, w, "low"), r.field(t, w, "high")
    if (low is None) != (high is None):
        r.error(f"{w}.low", "give both low and high for a published range, or neither")
    tolerance = r.field(t, w, "tolerance")
    reason = r.field(t, w, "reason")
    if tolerance is not None and tolerance != DEFAULT_TOLERANCE and not reason:
        r.error(f"{w}.reason", "a tolerance other than 25% needs a reason")
    source, kind, conflict = (
        r.field(t, w, "source"),
        r.field(t, w, "kind"),
        r.field(t, w, "conflict"),
    )
    if None in (quantity, published, source, kind, tolerance):
        return None
    return Check(
        Quantity(quantity),
        published,
        source,
        FigureKind(kind),
        tolerance,
        low,
        high,
        reason,
        conflict,
    )


def load_case(path: Path) -> Case:
    """Read a case file; ``InputError`` (one line, exit 2) for anything wrong in it."""
    text = read_user_file(path, prefix="cannot read: ").decode("utf-8", errors="replace")
    scenario = parse_scenario(text, str(path), path.parent)
    data: dict[str, Any] = tomllib.loads(text)
    r = Reader(str(path), text)
    w = "reproduce"
    if w not in data:
        raise InputError(str(path), "a reproduce case needs a [reproduce] table", where=w)
    rp = r.section(data[w], w)
    strategy = r.field(rp, w, "strategy")
    pairs = r.field(rp, w, "parameters") or ()
    parameters = tuple(Parameter(key, figure) for key, figure in pairs)
    raw_checks = rp.get("check")
    checks: list[Check] = []
    if not isinstance(raw_checks, list) or not raw_checks:
        r.error(f"{w}.check", "needs at least one [[reproduce.check]]")
    else:
        for i, raw in enumerate(raw_checks):
            check = _check(r, raw, f"{w}.check[{i}]")
            if check is not None:
                checks.append(check)
    if r.errors:
        raise sorted(r.errors, key=lambda e: (e.line is None, e.line or 0))[0]
    return Case(path, scenario, strategy, parameters, tuple(checks))
