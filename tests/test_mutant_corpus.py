"""10,000 seeded DTB and scenario mutants through the CLI: no traceback, no hang, no
blow-up past the memory cap, and whatever ``validate`` accepts, ``run`` completes under
every strategy (issue 14, "Must show").

The corpus is deterministic: DTB mutant N is ``tests.corpus.dtb_mutants.dtb_mutant(N)``,
scenario mutant N is ``tests.corpus.scenario_mutants.scenario_mutant(N)``. Batches run
in child processes (``tests.corpus.harness``), two at a time, each under an RLIMIT_AS
cap of 1 GiB, with a per-mutant SIGALRM limit and a wall timeout per batch (a hang in C
code is still caught, naming the mutant the batch was in). A failure names the kind and
seed; ``python3 -m tests.corpus.harness KIND SEED 1 DIR`` reproduces it and leaves
``s.toml`` (and ``m.dtb``) in DIR.

Covered: ``inspect`` of every DTB mutant; ``validate`` of every mutant (a DTB mutant as
``machine.from_dtb`` of a small scenario); ``run --format json`` under all five
strategies of every mutant ``validate`` accepts; for DTB mutants, ``run`` refusing what
``validate`` refuses. Not covered: ``tui``, ``sweep``, ``reproduce``, ``dtb``, ``run
--capture``, the output options (``--trace``, ``--perfetto``, ``--series``, ``-o``);
long or large scenarios (the mutator keeps runs to 3 s and a few events, so valid but
costly values are out of scope here: they are bounded by validate's caps and expense
warnings, tested in test_input_limits.py and test_expensive_inputs.py); mutants of
capture files themselves (test_capture_properties.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# (kind, first seed, count): 10,000 mutants; DTB mutants cost more (every accepted one
# imports its tree once per strategy), so scenario mutants are the larger share
BATCHES = [("dtb", s, 500) for s in range(0, 3000, 500)] + [
    ("scenario", s, 500) for s in range(0, 7000, 500)
]
CAP_MIB = 1024
MUTANT_LIMIT_S = 30.0
BATCH_TIMEOUT_S = 300.0


def run_batch(kind: str, start: int, count: int, workdir: Path) -> dict[str, object]:
    """One child process: its summary and failures, or a failure naming the mutant it died in."""
    workdir.mkdir(parents=True)
    argv = [sys.executable, "-m", "tests.corpus.harness", kind, str(start), str(count)]
    argv += [str(workdir), str(CAP_MIB), str(MUTANT_LIMIT_S)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    try:
        done = subprocess.run(
            argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=BATCH_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        current = (workdir / "current").read_text()
        return {"failures": [f"{kind} {current}: the batch hung past {BATCH_TIMEOUT_S} s"]}
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    failures = [line["failure"] for line in lines if "failure" in line]
    summaries = [line["summary"] for line in lines if "summary" in line]
    if done.returncode != 0 or not summaries:
        current = (workdir / "current").read_text() if (workdir / "current").exists() else "?"
        failures.append(
            f"{kind} {current}: the batch died (status {done.returncode}): {done.stderr[-800:]}"
        )
    return {"failures": failures, "summary": summaries[0] if summaries else None}


@pytest.mark.slow
def test_ten_thousand_dtb_and_scenario_mutants_fail_cleanly_or_run_to_the_end(
    tmp_path: Path,
) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(
            pool.map(lambda b: run_batch(*b, tmp_path / f"{b[0]}-{b[1]}"), BATCHES)  # type: ignore[misc]
        )
    failures = [f for r in results for f in r["failures"]]  # type: ignore[attr-defined]
    assert not failures, "\n".join(json.dumps(f)[:1500] for f in failures[:20])
    totals: dict[str, dict[str, int]] = {"dtb": {}, "scenario": {}}
    for r in results:
        summary = r["summary"]
        assert isinstance(summary, dict)
        for key in ("mutants", "validated", "ran", "refused"):
            totals[summary["kind"]][key] = totals[summary["kind"]].get(key, 0) + summary[key]
    # 3,000 + 7,000 mutants, every one checked
    assert totals["dtb"]["mutants"] + totals["scenario"]["mutants"] == 10_000
    for kind, got in totals.items():
        # every mutant validate accepted was run under every strategy to its end ...
        assert got["ran"] == got["validated"], (kind, got)
        assert got["validated"] + got["refused"] == got["mutants"], (kind, got)
        # ... and both sides of "validate accepts => run completes" are exercised
        assert got["validated"] >= 100 and got["refused"] >= 2000, (kind, got)
