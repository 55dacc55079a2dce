"""One sweep task: (scenario text, point, strategy, seed) in, one row out.

The task carries everything the run depends on and nothing else, so it gives the
same row on any worker of any cluster: the text is the scenario with the point's
values already set, the seed picks every random stream (``engine.rng``). A run
that fails records its error in the row instead of stopping the sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError
from engine.run.session import Session
from engine.scenario.load import parse_scenario
from engine.sweep.grid import Point

MetricValue = bool | int | float | str | None


@dataclass(frozen=True)
class Task:
    index: int  # place in the sweep: rows are sorted by it, whatever finishes first
    text: str  # the scenario with the point's values set
    source: str  # the scenario file, to name it in errors
    base_dir: str | None  # where its relative paths (machine.from_dtb) start
    point: Point
    strategy: str
    seed: int


@dataclass(frozen=True)
class Row:
    index: int
    point: Point
    strategy: str
    seed: int
    metrics: tuple[tuple[str, MetricValue], ...]  # flattened run metrics, in their order
    error: str = ""


def flatten(metrics: dict[str, object], prefix: str = "") -> list[tuple[str, MetricValue]]:
    """``{"fdt_hole": {"nospace": 3}}`` -> ``[("fdt_hole.nospace", 3)]``; lists by index."""
    out: list[tuple[str, MetricValue]] = []
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(flatten(value, f"{name}."))
        elif isinstance(value, list | tuple):
            out.extend(flatten({str(i): v for i, v in enumerate(value)}, f"{name}."))
        elif value is None or isinstance(value, bool | int | float | str):
            out.append((name, value))
        else:
            out.append((name, str(value)))
    return out


def run_task(task: Task) -> Row:
    """Replay the point under the strategy and seed to the end; its metrics, or its error."""
    try:
        base = Path(task.base_dir) if task.base_dir is not None else None
        scenario = parse_scenario(task.text, task.source, base)
        session = Session(scenario, task.strategy, task.seed)
        session.run_to_end()
        metrics = flatten(session.metrics().as_dict())
    except InputError as err:
        return Row(task.index, task.point, task.strategy, task.seed, (), f"InputError: {err}")
    except Exception as err:  # a model failure on one point must not end the sweep
        message = " ".join(str(err).split()) or "(no message)"
        return Row(
            task.index, task.point, task.strategy, task.seed, (), f"{type(err).__name__}: {message}"
        )
    return Row(task.index, task.point, task.strategy, task.seed, tuple(metrics))
