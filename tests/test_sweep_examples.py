"""The shipped sweeps in scenarios/sweeps/: each says why, and every point of it is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.sweep.grid import parse_vary
from engine.sweep.plan import make_plan
from engine.sweep.spec import read_sweep_spec

SWEEPS = sorted((Path(__file__).resolve().parent.parent / "scenarios" / "sweeps").glob("*.toml"))


def test_the_three_sizing_questions_are_shipped():
    assert {p.stem for p in SWEEPS} >= {
        "hole_vs_cores",
        "add_interval_vs_exposure",
        "memory_block_vs_exposure",
    }


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_a_shipped_sweep_plans_every_point_without_error(path):
    spec = read_sweep_spec(path)
    assert spec is not None and spec.description and spec.vary
    assert path.read_text().startswith("#")  # what it varies and why, in words
    plan = make_plan(
        spec.scenario,
        [parse_vary(v) for v in spec.vary],
        strategies=spec.strategies,
        seeds=spec.seeds or 1,
        metrics=spec.metrics,
    )
    per_point = len(plan.strategies) * plan.seeds
    assert len(plan.tasks) == len(plan.points) * per_point > 0


def test_a_plain_scenario_is_not_a_sweep_file():
    assert read_sweep_spec(SWEEPS[0].parent.parent / "default.toml") is None
