"""Sweep rows as a table: the columns, CSV and Parquet bytes, and reading them back.

Columns: ``scenario``, ``point``, one ``vary:KEY`` per varied key (the value as
written on the command line), ``strategy``, ``seed``, ``error`` (empty when the run
completed), then every metric of ``kdump-storm run --format json`` flattened with
dots (``fdt_hole.nospace``, ``monte_carlo.ci95.0``). Parquet is written with
pyarrow; the same columns, typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError
from engine.sweep.grid import Point, Setting
from engine.sweep.task import MetricValue, Row
from engine.sweep.values import Value, parse_scalar
from engine.user_files import read_user_file

VARY = "vary:"
FIXED = ("scenario", "point", "strategy", "seed", "error")
FORMATS = (".csv", ".parquet")


@dataclass(frozen=True)
class SweepResults:
    """A sweep as read back from its file: the scenario, the varied keys, the rows."""

    source: str
    keys: tuple[str, ...]
    rows: tuple[Row, ...]
    metrics: tuple[str, ...]


def columns(keys: Sequence[str], rows: Sequence[Row]) -> list[str]:
    metric_cols: dict[str, None] = {}
    for row in sorted(rows, key=lambda r: r.index):
        for name, _ in row.metrics:
            metric_cols.setdefault(name, None)
    return [
        "scenario",
        "point",
        *(VARY + k for k in keys),
        "strategy",
        "seed",
        "error",
        *metric_cols,
    ]


def records(source: str, keys: Sequence[str], rows: Sequence[Row]) -> list[dict[str, MetricValue]]:
    cols = columns(keys, rows)
    out = []
    for row in sorted(rows, key=lambda r: r.index):
        rec: dict[str, MetricValue] = dict.fromkeys(cols)
        rec.update(scenario=source, point=row.point.index, strategy=row.strategy, seed=row.seed)
        rec["error"] = row.error
        for s in row.point.settings:
            rec[VARY + s.key] = s.value.text
        rec.update(dict(row.metrics))
        out.append(rec)
    return out


def _csv_cell(value: MetricValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def csv_bytes(source: str, keys: Sequence[str], rows: Sequence[Row]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns(keys, rows))
    for rec in records(source, keys, rows):
        writer.writerow([_csv_cell(v) for v in rec.values()])
    return buf.getvalue().encode()


def parquet_bytes(source: str, keys: Sequence[str], rows: Sequence[Row]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = columns(keys, rows)
    recs = records(source, keys, rows)
    arrays = {}
    for col in cols:
        values = [r[col] for r in recs]
        if any(isinstance(v, float) for v in values):  # 3 and 0.5 in one column: doubles
            values = [
                float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in values
            ]
        arrays[col] = pa.array(values)
    buf = io.BytesIO()
    pq.write_table(pa.table(arrays), buf)
    return buf.getvalue()


def results_bytes(path: str | Path, source: str, keys: Sequence[str], rows: Sequence[Row]) -> bytes:
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        return parquet_bytes(source, keys, rows)
    if suffix == ".csv":
        return csv_bytes(source, keys, rows)
    raise InputError(str(path), f"unknown results format {suffix!r}; use .csv or .parquet")


def read_results(path: str | Path) -> SweepResults:
    """A sweep's CSV or Parquet file (InputError naming the file on anything wrong)."""
    data = read_user_file(path, prefix="cannot read: ")
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        recs = _read_parquet(str(path), data)
    elif suffix == ".csv":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(str(path), "cannot read: not UTF-8 text") from None
        recs = [
            {k: (parse_scalar(v) if v != "" else None) if k != "error" else v for k, v in r.items()}
            for r in csv.DictReader(io.StringIO(text))
        ]
    else:
        raise InputError(str(path), f"unknown results format {suffix!r}; use .csv or .parquet")
    return _from_records(str(path), recs)


def _read_parquet(path: str, data: bytes) -> list[dict[str, MetricValue]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(io.BytesIO(data)).to_pylist()
    except (pa.ArrowException, OSError) as err:
        raise InputError(path, f"not a Parquet file: {' '.join(str(err).split())}") from None


def _from_records(path: str, recs: list[dict[str, MetricValue]]) -> SweepResults:
    if not recs:
        raise InputError(path, "no rows")
    cols = list(recs[0])
    missing = [c for c in FIXED if c not in cols]
    if missing:
        raise InputError(path, f"not a kdump-storm sweep: no column {missing[0]!r}")
    keys = tuple(c[len(VARY) :] for c in cols if c.startswith(VARY))
    metric_cols = tuple(c for c in cols if c not in FIXED and not c.startswith(VARY))
    rows = []
    for i, rec in enumerate(recs):
        try:
            settings = tuple(
                Setting(k, Value(parse_scalar(str(rec[VARY + k])), str(rec[VARY + k])))
                for k in keys
            )
            point = Point(int(rec["point"]), settings)  # type: ignore[arg-type]
            seed = int(rec["seed"])  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InputError(path, f"row {i + 1}: bad point or seed") from None
        metrics = tuple((c, rec[c]) for c in metric_cols if rec[c] is not None)
        rows.append(Row(i, point, str(rec["strategy"]), seed, metrics, str(rec["error"] or "")))
    return SweepResults(str(recs[0]["scenario"]), keys, tuple(rows), metric_cols)
