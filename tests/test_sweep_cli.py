"""``kdump-storm sweep`` as a user runs it (in this process: ``--workers 0``, no Dask)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from engine.sweep.aggregate import aggregate
from engine.sweep.execute import run_local
from engine.sweep.grid import parse_vary
from engine.sweep.plan import make_plan
from engine.sweep.table import read_results

ROOT = Path(__file__).resolve().parent.parent
SMALL = str(ROOT / "tests" / "data" / "sweep_small.toml")
HOLE = str(ROOT / "scenarios" / "hole_too_small.toml")


def sweep(capsys, *args):
    status = main(["sweep", *args, "--workers", "0"])
    out, err = capsys.readouterr()
    return status, out, err


def test_plot_draws_axes_and_one_labelled_series_per_strategy(capsys):
    status, out, _ = sweep(
        capsys,
        SMALL,
        "--vary",
        "storm.0.every=100ms,250ms,500ms",
        "--plot",
        "--seeds",
        "2",  # an interval to draw as error bars
        "--strategy",
        "udev-throttled",
        "--strategy",
        "fdt-hole",
    )
    assert status == 0
    chart = out[out.index("exposure_s: mean") :]
    assert "┌" in chart and "└" in chart and "┤" in chart  # the frame and the y ticks
    assert all(tick in chart for tick in ("100ms", "250ms", "500ms"))  # x ticks as written
    assert "storm.0.every" in chart.rstrip().splitlines()[-1]  # the x axis title
    legend = [line for line in chart.splitlines() if "udev-throttled" in line or "fdt-hole" in line]
    assert len(legend) == 2  # one series per strategy, each named once


@pytest.mark.parametrize(
    ("vary", "named"),
    [
        ("kdump.fdt_hol=1MiB", "--vary kdump.fdt_hol=1MiB: "),  # unknown key
        ("storm.0.every=0s", "--vary storm.0.every=0s: "),  # refused by the reader
        ("storm.4.every=1s", "--vary storm.4.every=1s: "),  # no such phase
        ("storm.0.every=1s..2s", "--vary storm.0.every=1s..2s: "),  # range without step
        ("kdump.fdt_hole", "--vary kdump.fdt_hole: "),  # no values
        ("machine.smt=3", "--vary machine.smt=3: "),
        ("nosuch.key=1", "--vary nosuch.key=1: "),  # unknown table: blamed on its key
        # a clash of two values (the last event falls past the end): the point is named
        ("storm.0.jitter=1h", "--vary point storm.0.cores=2, storm.0.jitter=1h: "),
    ],
)
def test_a_bad_vary_is_one_line_naming_it_exit_2_before_any_run(capsys, tmp_path, vary, named):
    out = tmp_path / "rows.csv"
    status, stdout, err = sweep(
        capsys, SMALL, "--vary", "storm.0.cores=2,4", "--vary", vary, "-o", str(out)
    )
    assert status == 2 and stdout == ""
    assert err.count("\n") == 1 and err.startswith(f"kdump-storm: {named}"), err
    assert not out.exists()  # nothing ran, nothing written


def test_a_hole_that_cannot_hold_the_initial_fdt_is_refused_before_any_run(capsys, tmp_path):
    # issue 14: a 16-byte hole used to pass the reader and fail at run time; now the
    # reader refuses it (it cannot hold the initial kdump FDT), naming the --vary
    out = tmp_path / "rows.csv"
    status, stdout, err = sweep(capsys, SMALL, "--vary", "kdump.fdt_hole=16,1MiB", "-o", str(out))
    assert status == 2 and stdout == "" and not out.exists()
    assert err.startswith("kdump-storm: --vary kdump.fdt_hole=16: ") and "at least" in err


def test_a_point_that_fails_at_run_time_records_its_error_and_the_rest_complete(
    capsys, tmp_path, monkeypatch
):
    # nothing that validates should fail at run time (issue 14), so the failure is
    # injected: the fdt-hole run of the 64 KiB point raises inside the engine
    import engine.sweep.task as task_module

    real = task_module.Session

    def failing(scenario, strategy, seed=None):
        if strategy == "fdt-hole" and scenario.kdump.fdt_hole_bytes == 64 << 10:
            raise RuntimeError("cannot hold a device tree (injected)")
        return real(scenario, strategy, seed)

    monkeypatch.setattr(task_module, "Session", failing)
    out = tmp_path / "rows.csv"
    status, stdout, err = sweep(
        capsys,
        SMALL,
        "--vary",
        "kdump.fdt_hole=64KiB,1MiB",
        "-o",
        str(out),
        "--strategy",
        "udev-throttled",
        "--strategy",
        "fdt-hole",
    )
    assert status == 1 and "1 of 4 runs failed" in err
    rows = read_results(out).rows
    failed = [r for r in rows if r.error]
    assert [(r.point.settings[0].value.text, r.strategy) for r in failed] == [("64KiB", "fdt-hole")]
    assert "cannot hold a device tree" in failed[0].error
    assert all(dict(r.metrics)["elapsed_s"] == 20.0 for r in rows if not r.error)  # ran to the end
    assert "0/1 (errors)" in stdout


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_rows_read_back_from_csv_and_parquet_give_the_same_aggregate(capsys, tmp_path, suffix):
    vary = ["storm.0.every=100ms,500ms"]
    out = tmp_path / f"rows{suffix}"
    status, stdout, _ = sweep(capsys, SMALL, "--vary", vary[0], "--seeds", "2", "-o", str(out))
    assert status == 0
    plan = make_plan(SMALL, [parse_vary(v) for v in vary], seeds=2)
    mine = run_local(plan.tasks).rows
    back = read_results(out)
    assert back.keys == ("storm.0.every",) and back.source == SMALL and len(back.rows) == 8
    metrics = ["exposure_s", "monte_carlo.p_captured", "fdt_hole.nospace"]
    assert aggregate(back.rows, metrics) == aggregate(mine, metrics)
    assert [dict(r.metrics)["trace_digest"] for r in back.rows] == [
        dict(r.metrics)["trace_digest"] for r in mine
    ]


def test_an_existing_output_is_kept_and_refused_before_the_sweep_runs(capsys, tmp_path):
    out = tmp_path / "rows.csv"
    out.write_text("mine")
    status, _, err = sweep(capsys, SMALL, "--vary", "storm.0.cores=2", "-o", str(out))
    assert status == 2 and "file exists" in err and out.read_text() == "mine"


def test_one_seed_and_no_vary_is_the_runs_own_metrics(capsys):
    main(["run", SMALL, "--strategy", "fdt-hole", "--format", "json"])
    run_json = json.loads(capsys.readouterr().out)["strategies"]["fdt-hole"]
    plan = make_plan(SMALL, [], strategies=["fdt-hole"])
    (row,) = run_local(plan.tasks).rows
    assert dict(row.metrics)["exposure_s"] == run_json["exposure_s"]
    assert dict(row.metrics)["trace_digest"] == run_json["trace_digest"]


def test_an_image_is_written_as_png_or_svg(capsys, tmp_path):
    png, svg = tmp_path / "c.png", tmp_path / "c.svg"
    for path in (png, svg):
        status, _, _ = sweep(
            capsys, SMALL, "--vary", "storm.0.every=100ms,500ms", "--plot-file", str(path)
        )
        assert status == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = svg.read_text()
    assert (
        text.lstrip().startswith("<?xml") and "storm.0.every" in text and "udev-throttled" in text
    )
