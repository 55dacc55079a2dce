"""The one place the TUI imports the engine: scenarios, sessions, lock step, strategies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scenarios import DEFAULT

DEFAULT_SCENARIO = DEFAULT


def load_scenario(path: str | Path) -> Any:
    """Parse a scenario file (raises ``engine.errors.InputError`` on bad input)."""
    from engine.scenario.load import load_scenario as _load

    return _load(Path(path))


def new_session(scenario: Any, strategy: str, seed: int | None = None) -> Any:
    """A fresh ``Session`` at t = 0 on ``scenario``'s storm."""
    from engine.run.session import Session

    return Session(scenario, strategy=strategy, seed=seed)


def write_export(directory: Path, stem: str, suffix: str, chunks: Any) -> Path:
    """Write an export under the first free name (``engine.output_file.write_fresh_file``).

    Raises ``engine.errors.InputError`` (one line) when it cannot be written.
    """
    from engine.output_file import write_fresh_file

    return write_fresh_file(directory, stem, suffix, chunks)


def strategy_names() -> tuple[str, ...]:
    """Every reload strategy the engine knows, in its own order."""
    from engine.strategies import STRATEGY_NAMES

    return tuple(STRATEGY_NAMES)


def scenario_label(scenario: Any, path: str | Path | None) -> str:
    """A short name for the header: the scenario's own name, else its file name."""
    name = getattr(scenario, "name", None)
    if name:
        return str(name)
    return Path(path).name if path else "scenario"


def lockstep(sessions: list[Any]) -> Any:
    """The engine's lock step over ``sessions`` (compare mode): one simulated clock."""
    from engine.run.lockstep import Lockstep

    return Lockstep(sessions)
