"""Runs as files for scripts: the trace as JSON Lines, metrics as CSV, the readiness series.

Each function takes finished (or paused) sessions and returns bytes; writing them
is the caller's job (the CLI's and the TUI's one writer).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Protocol

from engine.run.outcomes import Readiness
from engine.run.run_meta import RunMeta, run_meta
from engine.run.trace import Record
from engine.scenario.load import Scenario


class RunView(Protocol):
    """What an export reads from a session (``engine.run.session.Session`` has it)."""

    @property
    def strategy(self) -> str: ...
    @property
    def scenario(self) -> Scenario: ...
    @property
    def seed(self) -> int: ...
    @property
    def records(self) -> Sequence[Record]: ...
    def readiness_history(self) -> Sequence[Readiness]: ...
    def exposure_series(self) -> list[tuple[float, float]]: ...


def meta_of(session: RunView) -> RunMeta:
    """The metadata of one session's run (the TUI exports one file per session)."""
    return run_meta(
        session.scenario.name, session.scenario.source, session.seed, [session.strategy]
    )


def session_trace_jsonl(session: RunView) -> bytes:
    """One session's trace as the CLI's ``--trace`` writes it: metadata line first."""
    return trace_jsonl(meta_of(session), [session])


def trace_jsonl(meta: RunMeta, sessions: Sequence[RunView]) -> bytes:
    """The metadata line, then every record of every session with a ``strategy`` key."""
    lines = [meta.jsonl_line()]
    for session in sessions:
        for record in session.records:
            lines.append(
                json.dumps(
                    {"strategy": session.strategy, **json.loads(record.to_json())},
                    sort_keys=True,
                    separators=(",", ":"),
                )
            )
    return ("\n".join(lines) + "\n").encode()


def flatten(value: object, prefix: str = "") -> dict[str, object]:
    """Nested metrics as flat columns: ``windows.max_s``, ``probes.0.result``, ``...ci95.1``."""
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list | tuple):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}.{i}"))
        return out
    return {prefix: value}


def cell(value: object) -> str:
    """A CSV cell: JSON's spelling for numbers and booleans, empty for null."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def metrics_csv(meta: RunMeta, metrics: Mapping[str, Mapping[str, object]]) -> str:
    """One row per strategy: the run's metadata, then every metric key (flattened) as a column.

    Columns a strategy lacks (a cause it never had, a probe past its end) stay empty.
    """
    rows = []
    columns: list[str] = []
    for strategy, m in metrics.items():
        row = {**meta.for_strategy(strategy), **flatten(m)}
        for key in row:
            if key not in columns:
                columns.append(key)
        rows.append(row)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    return out.getvalue()


SERIES_COLUMNS = (
    "scenario",
    "seed",
    "strategy",
    "tool_version",
    "t_s",
    "p_no_dump",
    "p_incomplete",
    "cause",
    "exposure_s",
)


def series_csv(meta: RunMeta, sessions: Sequence[RunView]) -> str:
    """Per strategy, one row at each readiness change and one at the end.

    ``p_no_dump`` / ``p_incomplete`` / ``cause`` hold from that row's ``t_s`` to the
    next; ``exposure_s`` is the cumulative exposure at ``t_s`` (the integral of
    ``p_no_dump``), so the last row of a strategy is its ``exposure_s`` metric.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SERIES_COLUMNS)
    for session in sessions:
        head = meta.for_strategy(session.strategy)
        history = session.readiness_history()
        exposure = session.exposure_series()  # (t0 of each segment..., now)
        for seg, (_, total) in zip(history, exposure, strict=False):
            writer.writerow(
                [
                    *map(cell, head.values()),
                    cell(round(seg.t0_s, 9)),
                    cell(seg.p_no_dump),
                    cell(seg.p_incomplete),
                    cell(seg.cause),
                    cell(round(total, 9)),
                ]
            )
        end_t, end_total = exposure[-1]
        last = history[-1]
        writer.writerow(
            [
                *map(cell, head.values()),
                cell(round(end_t, 9)),
                cell(last.p_no_dump),
                cell(last.p_incomplete),
                cell(last.cause),
                cell(round(end_total, 9)),
            ]
        )
    return out.getvalue()
