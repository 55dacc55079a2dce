"""Every shipped scenario under every strategy replays to the trace it replayed to before.

A model change shows up here as a named (scenario, strategy) pair; regenerate
with ``python3 -m tests.golden --update`` when the change is meant.
"""

from __future__ import annotations

import pytest

from engine.strategies import STRATEGY_NAMES as STRATEGIES
from tests.golden import compute_digest, shipped_scenarios, stored

GOLDEN = stored()


def test_every_shipped_scenario_and_strategy_has_a_digest():
    assert sorted(GOLDEN) == sorted(p.stem for p in shipped_scenarios())
    for scenario, row in GOLDEN.items():
        assert sorted(row) == sorted(STRATEGIES), scenario


@pytest.mark.slow
@pytest.mark.parametrize("path", shipped_scenarios(), ids=lambda p: p.stem)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_trace_digest_is_unchanged(path, strategy):
    assert compute_digest(path, strategy) == GOLDEN[path.stem][strategy], (
        f"{path.stem} / {strategy}: the trace changed; if the model change is meant, "
        "run 'python3 -m tests.golden --update'"
    )
