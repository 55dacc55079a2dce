"""Sweeps on Dask: a LocalCluster of processes on the loopback gives the plain loop's rows.

Few and bounded: one 2-worker cluster for the module (closed by its fixture), one
1-worker sweep through the CLI in a subprocess with a timeout; every wait has a limit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.sweep.execute import dask_client, run_local, run_on
from engine.sweep.grid import parse_vary
from engine.sweep.plan import make_plan
from engine.sweep.table import csv_bytes

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "data" / "sweep_small.toml"
VARY = ["storm.0.every=100ms,250ms,500ms", "kdump.fdt_hole=24KiB,1MiB"]
STRATEGIES = ["udev-throttled", "fdt-hole"]
WAIT_S = 180  # a loaded 2-core machine; a hang fails here instead of stalling CI

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def plan():
    return make_plan(SMALL, [parse_vary(v) for v in VARY], strategies=STRATEGIES, seeds=3)


@pytest.fixture(scope="module")
def two_workers():
    with dask_client(workers=2) as client:
        client.wait_for_workers(2, timeout=WAIT_S)
        assert all(
            addr.startswith("tcp://127.0.0.1:") for addr in client.scheduler_info()["workers"]
        )
        yield client


@pytest.fixture(scope="module")
def two_worker_outcome(plan, two_workers):
    return run_on(two_workers, plan.tasks, timeout_s=WAIT_S)


def test_a_3x2_grid_with_2_strategies_and_3_seeds_gives_36_rows_on_2_workers(
    plan, two_worker_outcome
):
    # 3 x 2 points x 2 strategies x 3 seeds = 36
    outcome = two_worker_outcome
    assert not outcome.interrupted and len(outcome.rows) == 36
    assert outcome.rows == run_local(plan.tasks).rows  # row for row, as the plain loop
    assert {r.seed for r in outcome.rows} == {7, 8, 9}  # the scenario's seed and the next two
    assert not any(r.error for r in outcome.rows)


def test_1_worker_through_the_cli_writes_the_same_csv_as_2_workers(
    plan, two_worker_outcome, tmp_path
):
    two = two_worker_outcome.rows
    out = tmp_path / "one.csv"
    args = [sys.executable, "-m", "cli.main", "sweep", str(SMALL), "--seeds", "3", "--workers", "1"]
    args += [a for v in VARY for a in ("--vary", v)]
    args += [a for s in STRATEGIES for a in ("--strategy", s)] + ["-o", str(out)]
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=WAIT_S, cwd=ROOT, env=os.environ.copy()
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == csv_bytes(plan.source, plan.keys, two)


def test_ctrl_c_cancels_the_pending_tasks_and_keeps_the_rows_done(plan, two_workers):
    seen = []

    def interrupt_after_five(row):
        seen.append(row)
        if len(seen) == 5:
            raise KeyboardInterrupt

    outcome = run_on(two_workers, plan.tasks, interrupt_after_five, timeout_s=WAIT_S)
    assert outcome.interrupted
    assert sorted(r.index for r in outcome.rows) == sorted(r.index for r in seen)
    assert len(outcome.rows) == 5 < len(plan.tasks)
    # nothing of this sweep is left running or queued on the cluster
    assert not _busy(_task_states(two_workers))


def _task_states(client):
    """Tasks the scheduler still holds (those not yet forgotten after the cancel)."""
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        states = client.run_on_scheduler(
            lambda dask_scheduler: [ts.state for ts in dask_scheduler.tasks.values()]
        )
        if not _busy(states):
            return states
        time.sleep(0.2)
    return states


def _busy(states):
    return [s for s in states if s in ("processing", "queued", "no-worker", "waiting")]
