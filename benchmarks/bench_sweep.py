"""Sweep throughput: 200 runs of the default scenario in a plain loop and on Dask.

    python3 benchmarks/bench_sweep.py [--seeds 10] [--scenario FILE]

200 runs = 4 storm intervals x 5 strategies x 10 seeds. Prints, for the plain loop
(the baseline, in this process), a LocalCluster of 1 worker and one of 2 workers:
the wall time of the runs (cluster start-up shown apart), runs per second, the
speed-up and scaling efficiency of 2 workers over 1, and Dask's overhead per task
against the plain loop. Checks that the three give the same rows.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.sweep.execute import dask_client, run_local, run_on  # noqa: E402
from engine.sweep.grid import parse_vary  # noqa: E402
from engine.sweep.plan import make_plan  # noqa: E402

DEFAULT = Path(__file__).resolve().parent.parent / "scenarios" / "default.toml"
VARY = "storm.0.every=100ms,250ms,500ms,1s"


def _nothing(i: int) -> int:
    return i


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(DEFAULT))
    parser.add_argument("--seeds", type=int, default=10, help="10: 4 x 5 x 10 = 200 runs")
    args = parser.parse_args()
    plan = make_plan(args.scenario, [parse_vary(VARY)], seeds=args.seeds)
    n = len(plan.tasks)
    print(f"{n} runs: {VARY} x {len(plan.strategies)} strategies x {args.seeds} seeds")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")

    t0 = time.perf_counter()
    loop = run_local(plan.tasks).rows
    loop_s = time.perf_counter() - t0
    print(
        f"{'plain loop':<12} wall {loop_s:7.2f} s  {n / loop_s:6.1f} runs/s  "
        f"({loop_s / n * 1e3:.0f} ms per run)"
    )

    walls = {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        with dask_client(workers=workers) as client:
            client.wait_for_workers(workers, timeout=120)
            start_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            rows = run_on(client, plan.tasks).rows
            walls[workers] = time.perf_counter() - t1
            if workers == 1:
                t2 = time.perf_counter()
                client.gather(client.map(_nothing, range(n), pure=False))
                empty_s = time.perf_counter() - t2
        same = "same rows" if rows == loop else "ROWS DIFFER"
        print(
            f"{f'dask x{workers}':<12} wall {walls[workers]:7.2f} s  "
            f"{n / walls[workers]:6.1f} runs/s  (cluster start {start_s:.1f} s; {same})"
        )
    speedup = walls[1] / walls[2]
    print(
        f"2 workers over 1: speed-up {speedup:.2f}x, scaling efficiency {speedup / 2:.0%}"
        " (target >= 1.6x for runs of >= 0.2 s)"
    )
    print(
        f"Dask overhead per task (1 worker vs plain loop): {(walls[1] - loop_s) / n * 1e3:+.1f} ms"
    )
    print(f"Dask round trip of an empty task (1 worker, {n} at once): {empty_s / n * 1e3:.1f} ms")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
