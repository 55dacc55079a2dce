"""Scaling ladders: CPU (8 present + N added SMT8 cores) and memory (N blocks), per strategy.

    python3 benchmarks/bench_ladder.py [--ladder cpu|memory|mc|help|rss]... [--strategy NAME]...
                                       [--quick]

Every figure is paired with a baseline measured in the same process: a bare SimPy
loop of timeouts (one event each). Per ladder point: wall time of a full headless
run, trace records per second, the wall cost per record as a multiple of one bare
SimPy event, and between the two largest points the fitted exponent
log(t2/t1) / log(n2/n1). Also: 1M Monte Carlo probes, ``kdump-storm --help`` CPU
time against ``python3 -c pass``, and the peak RSS of the 64k-block run of every
strategy held in one process (as compare mode holds them).
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import simpy  # noqa: E402

from benchmarks.bench_startup import bench_help  # noqa: E402
from engine.rng import RandomStreams  # noqa: E402
from engine.run.outcomes import monte_carlo  # noqa: E402
from engine.run.session import Session  # noqa: E402
from engine.scenario.load import parse_scenario  # noqa: E402
from engine.scenario.names import STRATEGY_NAMES as STRATEGIES  # noqa: E402

CPU_LADDER = (32, 64, 128, 256, 512, 1016)
MEMORY_LADDER = (1024, 4096, 16384, 65536)

CPU = """
[scenario]
name = "CPU ladder: 8 + {n} SMT8 cores"
seed = 1
duration = "{duration}s"
[machine]
cpu_model = "POWER9"
smt = 8
cores_present = 8
cores_possible = 1024
memory = "64GiB"
[kdump]
crashkernel = "2GiB"
fdt_hole = "auto"
[[storm]]
at = "1s"
action = "cpu-add"
cores = {n}
every = "250ms"
"""

MEMORY = """
[scenario]
name = "memory ladder: {n} blocks"
seed = 1
duration = "{duration}s"
[machine]
cpu_model = "POWER9"
smt = 8
cores_present = 8
cores_possible = 16
memory = "32GiB"
memory_max = "{max_gib}GiB"
memory_block = "256MiB"
[kdump]
crashkernel = "2GiB"
fdt_hole = "auto"
[[storm]]
at = "1s"
action = "memory-add"
blocks = {n}
every = "10ms"
"""


def bare_simpy_event_s(events: int = 200_000) -> float:
    """Wall seconds of one bare SimPy timeout event (a process yielding timeouts)."""
    env = simpy.Environment()

    def loop():
        for _ in range(events):
            yield env.timeout(1)

    env.process(loop())
    t0 = time.perf_counter()
    env.run()
    return (time.perf_counter() - t0) / events


def cpu_text(n: int) -> str:
    # a day: every strategy's storm and what it set off end well inside it (the in-kernel
    # updates move O(cores^2) bytes each under lock_device_hotplug(), so a storm of 1016
    # cores backs up behind the lock; udev-reload serialises one reload per uevent). An
    # idle simulated second costs nothing: the wall time is the events'.
    return CPU.format(n=n, duration=86400)


def memory_text(n: int) -> str:
    return MEMORY.format(n=n, duration=int(1 + n * 0.01 + 300), max_gib=32 + n // 4 + 1)


def run(text: str, strategy: str) -> tuple[float, int, Session]:
    wall, _, records, session = timed_run(text, strategy)
    return wall, records, session


def timed_run(text: str, strategy: str) -> tuple[float, float, int, Session]:
    """(wall s, CPU s of this process, records, session) of one full headless run."""
    scenario = parse_scenario(text, "ladder.toml")
    t0, c0 = time.perf_counter(), time.process_time()
    session = Session(scenario, strategy)
    session.run_to_end()
    return time.perf_counter() - t0, time.process_time() - c0, len(session.records), session


def exponent(n1: int, t1: float, n2: int, t2: float) -> float:
    return math.log(t2 / t1) / math.log(n2 / n1)


def ladder(
    label: str, sizes: tuple[int, ...], make, strategies: list[str], bare: float, repeat: int
) -> None:
    print(f"\n{label} ladder (bare SimPy event {bare * 1e6:.2f} us, same process)")
    print(
        f"{'strategy':16} {'N':>6} {'done':>6} {'wall s':>8} {'cpu s':>7} {'records':>8} "
        f"{'rec/s':>9} {'x bare':>7}"
    )
    for name in strategies:
        points = []
        for n in sizes:
            wall, cpu, records, session = timed_run(make(n), name)
            # the storm's adds that happened within the run (all N, or the run is too short)
            done = sum(1 for r in session.records if r.kind in ("core-add", "block-add"))
            points.append((n, wall, cpu))
            per = wall / max(records, 1)
            print(
                f"{name:16} {n:6d} {done:6d} {wall:8.2f} {cpu:7.2f} {records:8d} "
                f"{records / wall:9.0f} {per / bare:7.1f}"
            )
        (n1, w1, c1), (n2, w2, c2) = points[-2], points[-1]
        # one run of about a second is too noisy for a slope on a shared machine: the two
        # largest points again, interleaved, and the slope of the medians
        walls: dict[int, list[float]] = {n1: [w1], n2: [w2]}
        cpus: dict[int, list[float]] = {n1: [c1], n2: [c2]}
        for _ in range(repeat - 1):
            for n in (n1, n2):
                wall, cpu, _, _ = timed_run(make(n), name)
                walls[n].append(wall)
                cpus[n].append(cpu)
        pairs = [exponent(n1, a, n2, b) for a, b in zip(walls[n1], walls[n2], strict=True)]
        print(
            f"{name:16} exponent between N={n1} and N={n2}: "
            f"{exponent(n1, median(walls[n1]), n2, median(walls[n2])):.2f} "
            f"(medians of {repeat} runs; CPU time "
            f"{exponent(n1, median(cpus[n1]), n2, median(cpus[n2])):.2f}; "
            f"single pairs {min(pairs):.2f}..{max(pairs):.2f}); wall at N={n2}: median "
            f"{median(walls[n2]):.2f} s, best {min(walls[n2]):.2f} s"
        )


def bench_monte_carlo(runs: int = 1_000_000) -> None:
    _, _, session = run(cpu_text(256), "udev-throttled")
    history = session.readiness_history()
    t0 = time.perf_counter()
    monte_carlo(history, session.duration_s, 10, RandomStreams(2).get("bench"))
    warm = time.perf_counter() - t0  # the first call imports numpy
    t0 = time.perf_counter()
    mc = monte_carlo(history, session.duration_s, runs, RandomStreams(1).get("bench"))
    wall = time.perf_counter() - t0
    print(f"\nMonte Carlo: {runs} probes over {len(history)} segments: {wall:.3f} s")
    print(f"  (first call, importing numpy: {warm:.3f} s)")
    print(f"  p_captured {mc.p_captured:.4f} ci95 {mc.ci95[0]:.4f}..{mc.ci95[1]:.4f}")


def bench_rss(strategies: list[str], blocks: int) -> None:
    """Peak RSS of one child process holding every strategy's finished 64k-block run."""
    code = (
        "import resource, sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from benchmarks.bench_ladder import memory_text, run\n"
        "sessions = []\n"
        "t0 = time.perf_counter()\n"
        f"for name in {strategies!r}:\n"
        f"    sessions.append(run(memory_text({blocks}), name)[2])\n"
        "wall = time.perf_counter() - t0\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(f'{wall:.2f} {rss:.0f} {sum(len(s.records) for s in sessions)}')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    wall, rss, records = done.stdout.split()
    print(
        f"\npeak RSS, {blocks} blocks x {len(strategies)} strategies held together: "
        f"{rss} MiB ({records} records, {wall} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--strategy", action="append", choices=STRATEGIES)
    parser.add_argument("--ladder", action="append", choices=("cpu", "memory", "mc", "help", "rss"))
    parser.add_argument("--quick", action="store_true", help="the two largest points only")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of the two largest points for the exponent"
    )
    args = parser.parse_args()
    strategies = args.strategy or list(STRATEGIES)
    parts = args.ladder or ["cpu", "memory", "mc", "help", "rss"]
    bare = bare_simpy_event_s()
    cpu_sizes = CPU_LADDER[-2:] if args.quick else CPU_LADDER
    memory_sizes = MEMORY_LADDER[-2:] if args.quick else MEMORY_LADDER
    if "cpu" in parts:
        ladder("CPU", cpu_sizes, cpu_text, strategies, bare, args.repeat)
    if "memory" in parts:
        ladder("memory", memory_sizes, memory_text, strategies, bare, args.repeat)
    if "mc" in parts:
        bench_monte_carlo()
    if "help" in parts:
        bench_help(sys.executable, reps=5)
    if "rss" in parts:
        bench_rss(strategies, MEMORY_LADDER[-1])


if __name__ == "__main__":
    main()
