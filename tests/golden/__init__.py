"""Golden trace digests: one sha256 per shipped scenario and strategy.

A change of model shows up as a named diff in ``digests.json``. After a change
that is meant to alter the model, regenerate them with the one command::

    python3 -m tests.golden --update

and say in the commit message which mechanism changed and why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SCENARIOS = ROOT / "scenarios"
DIGESTS = Path(__file__).resolve().parent / "digests.json"


def shipped_scenarios() -> list[Path]:
    """Every scenario file we ship, sorted by name."""
    return sorted(SCENARIOS.glob("*.toml"))


def compute_digest(path: Path, strategy: str) -> str:
    """Trace digest of one shipped scenario replayed to its end under ``strategy``."""
    from engine.run.session import Session
    from engine.scenario.load import load_scenario

    session = Session(load_scenario(path), strategy)
    session.run_to_end()
    return session.sim.trace.digest()


def compute_all() -> dict[str, dict[str, str]]:
    from engine.strategies import STRATEGY_NAMES as STRATEGIES

    return {
        p.stem: {name: compute_digest(p, name) for name in STRATEGIES} for p in shipped_scenarios()
    }


def stored() -> dict[str, dict[str, str]]:
    return json.loads(DIGESTS.read_text())


def main(argv: list[str]) -> int:
    if argv != ["--update"]:
        print("usage: python3 -m tests.golden --update", file=sys.stderr)
        return 2
    fresh = compute_all()
    old = stored() if DIGESTS.exists() else {}
    for scenario, row in fresh.items():
        for strategy, digest in row.items():
            if old.get(scenario, {}).get(strategy) != digest:
                print(f"changed: {scenario} / {strategy}")
    DIGESTS.write_text(json.dumps(fresh, indent=2, sort_keys=True) + "\n")
    return 0
