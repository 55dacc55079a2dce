"""A sweep made ready to run: every point parsed and checked, then its tasks listed.

Nothing runs until every point has passed the scenario reader: a value that makes
one point invalid is one ``InputError`` naming the ``--vary`` (or, for a clash
between values, the point) and the reader's own reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError
from engine.run.session import Session
from engine.scenario.load import parse_scenario
from engine.scenario.model import Scenario
from engine.sweep.grid import Axis, Point, apply_point, grid, parse_key
from engine.sweep.task import Task, flatten
from engine.user_files import read_user_file

DEFAULT_METRIC = "exposure_s"
MAX_RUNS = 1_000_000


@dataclass(frozen=True)
class SweepPlan:
    source: str
    axes: tuple[Axis, ...]
    points: tuple[Point, ...]
    strategies: tuple[str, ...]
    seeds: int
    metrics: tuple[str, ...]
    tasks: tuple[Task, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.axes)


def read_scenario_text(path: str | Path) -> str:
    data = read_user_file(path, prefix="cannot read: ")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(str(path), "cannot read: not UTF-8 text") from None


def point_text(text: str, point: Point) -> str:
    """The scenario text with the point's values set (InputError naming a bad key path)."""
    try:
        return apply_point(text, point)
    except ValueError as err:
        key = str(err).split(":", 1)[0]
        value = next((s.value.text for s in point.settings if s.key == key), "")
        raise InputError(f"--vary {key}={value}", str(err).split(": ", 1)[-1]) from None


def point_scenario(text: str, source: str, base_dir: Path | None, point: Point) -> Scenario:
    """The scenario at ``point`` (InputError naming the value or the point)."""
    return _parse_point(point_text(text, point), source, base_dir, point)


def _parse_point(text: str, source: str, base_dir: Path | None, point: Point) -> Scenario:
    try:
        return parse_scenario(text, source, base_dir)
    except InputError as err:
        raise _point_error(err, point) from None


def _point_error(err: InputError, point: Point) -> InputError:
    where = _where_path(err.where or "")
    blamed = next((s for s in point.settings if _within(parse_key(s.key), where)), None)
    name = f"--vary {blamed.key}={blamed.value.text}" if blamed else f"--vary point {point.label()}"
    line = None if blamed else err.line  # a varied key's line is not the user's
    return InputError(name, str(InputError(err.source, err.reason, where=err.where, line=line)))


def _where_path(where: str) -> tuple[str | int, ...]:
    """The reader's ``storm[0].every`` as ("storm", 0, "every")."""
    parts = re.sub(r"\[(\d+)\]", r".\1", where).split(".") if where else []
    return tuple(int(p) if p.isdigit() else p for p in parts)


def _within(key: tuple[str | int, ...], where: tuple[str | int, ...]) -> bool:
    """The error is about this key, or a table on its path (``udev`` for ``udev.pid1``)."""
    n = min(len(key), len(where))
    return n > 0 and key[:n] == where[:n] and len(where) <= len(key)


def metric_names(scenario: Scenario, strategy: str) -> list[str]:
    """The numeric metric columns a run gives (read off a run at t = 0)."""
    names = []
    for name, value in flatten(Session(scenario, strategy).metrics(monte_carlo_runs=0).as_dict()):
        if value is None or isinstance(value, bool | int | float):
            names.append(name)
    return names


def make_plan(
    path: str | Path,
    axes: Sequence[Axis],
    *,
    strategies: Sequence[str] = (),
    seeds: int = 1,
    metrics: Sequence[str] = (),
) -> SweepPlan:
    """Check everything and list the tasks: points x strategies x seeds, in that order."""
    source = str(path)
    base_dir = Path(path).resolve().parent
    text = read_scenario_text(path)
    base = parse_scenario(text, source, base_dir)
    if seeds < 1:
        raise InputError("--seeds", f"must be at least 1, got {seeds}")
    points = grid(axes)
    names = tuple(strategies) or base.strategies
    if len(points) * len(names) * seeds > MAX_RUNS:
        raise InputError("--vary", f"{len(points) * len(names) * seeds} runs, more than {MAX_RUNS}")
    known = metric_names(base, names[0])
    chosen = tuple(metrics) or (DEFAULT_METRIC,)
    for metric in chosen:
        if metric not in known and not metric.startswith("windows.by_cause."):
            raise InputError(
                "--metric", f"unknown or not numeric: {metric!r}; known: {', '.join(known)}"
            )
    tasks: list[Task] = []
    for point in points:
        at_point = point_text(text, point)
        scenario = _parse_point(at_point, source, base_dir, point)
        for strategy in names:
            for i in range(seeds):
                seed = scenario.seed + i  # the scenario's seed, then the next ones
                tasks.append(
                    Task(len(tasks), at_point, source, str(base_dir), point, strategy, seed)
                )
    return SweepPlan(source, tuple(axes), points, names, seeds, chosen, tuple(tasks))


def scenario_at(path: str | Path, point: Point) -> Scenario:
    """The scenario file with ``point``'s values set: what a sweep row replays."""
    text = read_scenario_text(path)
    return point_scenario(text, str(path), Path(path).resolve().parent, point)
