"""``kdump-storm reproduce``: run each shipped case and hold it to its published numbers.

A check whose model value is within its tolerance (or published range)
passes; one outside it is a miss, unless its case file declares a
``conflict``: a published figure that cannot hold together with the others
the case is built from. A declared conflict must really miss (else the
declaration is stale, which is a miss too), and its reason is printed: no
hidden parameter is tuned to make it pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from engine.run.quantities import UNIT, measure
from engine.run.reproduce_case import Case, Check, load_case
from engine.run.session import Session


class Verdict(StrEnum):
    PASS = "pass"
    MISS = "miss"
    CONFLICT = "conflict"  # declared: the figure cannot hold with the case's others


@dataclass(frozen=True)
class CheckResult:
    check: Check
    model: float
    verdict: Verdict
    reason: str

    def as_dict(self) -> dict[str, object]:
        c = self.check
        return {
            "quantity": c.quantity.value,
            "unit": UNIT[c.quantity],
            "published": c.published,
            "low": c.low,
            "high": c.high,
            "source": c.source,
            "kind": c.kind.value,
            "model": None if math.isnan(self.model) else round(self.model, 6),
            "tolerance": c.tolerance_text(),
            "verdict": self.verdict.value,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class CaseResult:
    case: Case
    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(c.verdict is not Verdict.MISS for c in self.checks)

    def as_dict(self) -> dict[str, object]:
        case = self.case
        return {
            "file": case.path.name,
            "name": case.scenario.name,
            "strategy": case.strategy,
            "parameters": [{"key": p.key, "figure": p.figure} for p in case.parameters],
            "checks": [c.as_dict() for c in self.checks],
            "ok": self.ok,
        }


def judge(check: Check, model: float) -> CheckResult:
    """Pass, miss or declared conflict, with the reason in words."""
    off = (
        "no value (the run never got there)"
        if math.isnan(model)
        else f"model {model:.4g} vs published {check.published:g} ({check.tolerance_text()})"
    )
    holds = not math.isnan(model) and check.holds(model)
    if holds and check.conflict:
        return CheckResult(
            check, model, Verdict.MISS, f"declared a conflict but it holds: {off}; update the case"
        )
    if holds:
        return CheckResult(check, model, Verdict.PASS, check.reason)
    if check.conflict:
        return CheckResult(check, model, Verdict.CONFLICT, f"{off}: {check.conflict}")
    return CheckResult(check, model, Verdict.MISS, off)


def run_case(case: Case) -> CaseResult:
    session = Session(case.scenario, case.strategy)
    session.run_to_end()
    return CaseResult(case, tuple(judge(c, measure(session, c.quantity)) for c in case.checks))


def case_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.toml"))


def reproduce(paths: list[Path]) -> list[CaseResult]:
    """Every case, in file order; reading errors raise ``InputError`` before any run."""
    cases = [load_case(p) for p in paths]
    return [run_case(c) for c in cases]
