"""``run --format csv``, ``run --series`` and the metadata every JSON output carries."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from engine.run.exports import flatten

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "scenarios" / "default.toml"
STRATEGIES = ("udev-reload", "udev-throttled", "fdt-hole", "crash-hotplug")
VERSION = metadata.version("kdump-storm")


def kdump_storm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


def _strategy_args() -> list[str]:
    return [a for s in STRATEGIES for a in ("--strategy", s)]


@pytest.fixture(scope="module")
def json_run() -> dict:
    out = kdump_storm("run", str(DEFAULT), "--format", "json", "--seed", "7", *_strategy_args())
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_json_carries_scenario_seed_strategy_and_tool_version(json_run: dict) -> None:
    assert json_run["scenario"] == "DLPAR burst: 24 cores added to a POWER9 SMT8 LPAR"
    assert json_run["seed"] == 7
    assert json_run["tool"] == "kdump-storm" and json_run["tool_version"] == VERSION
    assert list(json_run["strategies"]) == list(STRATEGIES)
    for name, m in json_run["strategies"].items():
        assert (m["strategy"], m["seed"], m["tool_version"]) == (name, 7, VERSION)


@pytest.mark.slow
def test_csv_has_one_row_per_strategy_whose_values_equal_the_json_metrics(json_run: dict) -> None:
    out = kdump_storm("run", str(DEFAULT), "--format", "csv", "--seed", "7", *_strategy_args())
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["strategy"] for r in rows] == list(STRATEGIES)
    for row in rows:
        expected = flatten(json_run["strategies"][row["strategy"]])
        assert set(expected) <= set(row)
        for key, value in expected.items():
            cell = row[key]
            if value is None:
                assert cell == "", key
            elif isinstance(value, str):
                assert cell == value, key
            else:  # numbers and booleans parse back to the JSON value itself
                assert json.loads(cell) == value, key
        # columns other strategies have (a cause this one never had) are empty here
        assert all(row[k] == "" for k in set(row) - set(expected))
    # the run's headline numbers are there under their JSON names
    assert "exposure_s" in rows[0] and "windows.by_cause.unloaded" in rows[0]
    assert "monte_carlo.ci95.1" in rows[0] and "probes.0.result" in rows[0]


def test_series_ends_at_each_strategys_exposure(json_run: dict, tmp_path: Path) -> None:
    target = tmp_path / "series.csv"
    out = kdump_storm(
        "run",
        str(DEFAULT),
        "--format",
        "json",
        "--seed",
        "7",
        *_strategy_args(),
        "--series",
        str(target),
    )
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    for name in STRATEGIES:
        mine = [r for r in rows if r["strategy"] == name]
        times = [float(r["t_s"]) for r in mine]
        exposure = [float(r["exposure_s"]) for r in mine]
        assert times[0] == 0.0 and times[-1] == 90.0 and times == sorted(times)
        assert exposure == sorted(exposure)  # cumulative: never decreases
        assert exposure[-1] == pytest.approx(json_run["strategies"][name]["exposure_s"], abs=1e-8)
        # between two rows exposure grows by p_no_dump x the time between them
        for a, b in zip(mine, mine[1:], strict=False):
            grown = float(a["p_no_dump"]) * (float(b["t_s"]) - float(a["t_s"]))
            assert float(b["exposure_s"]) - float(a["exposure_s"]) == pytest.approx(grown, abs=1e-8)
        assert {r["seed"] for r in mine} == {"7"} and {r["tool_version"] for r in mine} == {VERSION}
