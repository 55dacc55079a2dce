"""Engine throughput: W1 (32 -> 256 cores SMT8 + 256 memory blocks), W2 (3840 blocks)
and DIMM (the published one-DIMM 3840-block resizes, `scenarios/reproduce/`).

    python3 benchmarks/bench_engine.py [--strategy NAME]... [--workload W1|W2|DIMM]...

Prints, per workload and strategy, the wall time of a full headless run, the
uevents processed per second of wall time, and the time of 10,000 Monte Carlo
probes over the finished run. DIMM runs each case under the strategy its case
file names (7680 uevents: add + online per block, through the udev queue);
its target is under 2 s each, read next to W1 in the same run.

STORM is the ceiling of the TUI's "engine xN": ``scenarios/large_lpar.toml`` run by
the engine alone, headless, on a whole core, one simulated second at a time (as the
TUI's frames advance it), and the speed it keeps (simulated s per wall s) over the
storm's seconds: the slowest second, the median and the storm as a whole, per
strategy and for each compare pair held in lockstep. x1000 in the TUI needs at least
x1000 here, before the TUI draws anything.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.rng import RandomStreams  # noqa: E402
from engine.run.outcomes import monte_carlo  # noqa: E402
from engine.run.session import Session  # noqa: E402
from engine.scenario.load import Scenario, load_scenario, parse_scenario  # noqa: E402
from engine.strategies import STRATEGY_NAMES as STRATEGIES  # noqa: E402

CASES = Path(__file__).resolve().parent.parent / "scenarios" / "reproduce"
DIMM = {"rhel8_one_dimm": "udev-throttled", "rhel7_one_dimm": "udev-reload"}

W1 = """
[scenario]
name = "W1: POWER9 SMT8 LPAR, 32 -> 256 cores plus 256 memory blocks"
seed = 1
duration = "2400s"
[machine]
cpu_model = "POWER9"
smt = 8
cores_present = 32
cores_possible = 256
memory = "256GiB"
memory_max = "320GiB"
memory_block = "256MiB"
[kdump]
crashkernel = "1GiB"
fdt_hole = "auto"
[[storm]]
at = "1s"
action = "cpu-add"
cores = 224
every = "250ms"
[[storm]]
at = "60s"
action = "memory-add"
blocks = 256
every = "100ms"
[crash]
monte_carlo = 10000
"""

W2 = """
[scenario]
name = "W2: guest grown 32 GiB -> 512 GiB in 128 MiB blocks (3840 uevents)"
seed = 1
duration = "3200s"
[machine]
cpu_model = "POWER9"
smt = 8
cores_present = 8
cores_possible = 16
memory = "32GiB"
memory_max = "512GiB"
memory_block = "128MiB"
[kdump]
crashkernel = "1GiB"
fdt_hole = "auto"
[[storm]]
at = "1s"
action = "memory-add"
blocks = 3840
every = "10ms"
[crash]
monte_carlo = 10000
"""


HEADER = (
    f"{'strategy':16} {'wall s':>8} {'uevents':>8} {'uevents/s':>10} {'reloads':>8} "
    f"{'updates':>8} {'records':>8} {'MC 10k ms':>10}"
)


def bench(label: str, text: str, strategies: list[str]) -> None:
    scenario = parse_scenario(text, f"{label}.toml")
    print(f"\n{scenario.name}")
    print(HEADER)
    for name in strategies:
        row(scenario, name)


def bench_dimm() -> None:
    print("\nDIMM: one 480 GiB DIMM, 3840 blocks (published cases, scenarios/reproduce)")
    print(HEADER)
    for case, strategy in DIMM.items():
        row(load_scenario(CASES / f"{case}.toml"), strategy)


def row(scenario: Scenario, name: str) -> None:
    t0 = time.perf_counter()
    session = Session(scenario, name)
    session.run_to_end()
    wall = time.perf_counter() - t0
    m = session.metrics(monte_carlo_runs=0)
    history = session.readiness_history()
    t1 = time.perf_counter()
    monte_carlo(history, session.duration_s, 10_000, RandomStreams(1).get("bench"))
    mc_ms = (time.perf_counter() - t1) * 1e3
    print(
        f"{name:16} {wall:8.2f} {m.uevents:8d} {m.uevents / wall:10.0f} "
        f"{m.reloads:8d} {m.kernel_updates:8d} {len(session.records):8d} "
        f"{mc_ms:10.1f}"
    )


LARGE_LPAR = CASES.parent / "large_lpar.toml"


def storm_speeds(scenario: Scenario, names: list[str]) -> list[float]:
    """Simulated s per wall s of each simulated second, for ``names`` run in lockstep."""
    sessions = [Session(scenario, name) for name in names]
    speeds = []
    for second in range(1, int(scenario.duration_s) + 1):
        t0 = time.perf_counter()
        for session in sessions:
            session.advance_to(float(second))
        speeds.append(1.0 / max(time.perf_counter() - t0, 1e-9))
    return speeds


def bench_storm(strategies: list[str]) -> None:
    scenario = load_scenario(LARGE_LPAR)
    storms = [s for s in scenario.storms if s.count]
    first = min(s.at_s for s in storms)
    last = max(s.last_s for s in storms)
    print(
        f"\nSTORM: {scenario.name}, engine alone, per simulated second of the storm "
        f"({first:.0f} s .. {last:.0f} s)"
    )
    print(f"{'strategies':32} {'slowest':>9} {'median':>9} {'storm':>9}")
    pairs = [[a, b] for i, a in enumerate(strategies) for b in strategies[i + 1 :]]
    for names in [[n] for n in strategies] + pairs:
        speeds = storm_speeds(scenario, names)[int(first) : int(last) + 1]
        whole = len(speeds) / sum(1.0 / x for x in speeds)
        cells = (f"x{v:.0f}" for v in (min(speeds), statistics.median(speeds), whole))
        print(f"{' + '.join(names):32} " + " ".join(f"{c:>9}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--strategy", action="append", choices=STRATEGIES)
    parser.add_argument("--workload", action="append", choices=("W1", "W2", "DIMM", "STORM"))
    args = parser.parse_args()
    strategies = args.strategy or list(STRATEGIES)
    for label in args.workload or ["W1", "W2", "DIMM", "STORM"]:
        if label == "DIMM":
            bench_dimm()
        elif label == "STORM":
            bench_storm(strategies)
        else:
            bench(label, W1 if label == "W1" else W2, strategies)


if __name__ == "__main__":
    main()
