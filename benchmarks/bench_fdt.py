"""Kdump FDT build and in-place CPU-add update timings: ``python3 benchmarks/bench_fdt.py``.

POWER9 SMT8 machines with 32 and 256 present cores (possible = 2x present), a 1 MiB
hole. Build: the cached fast serializer per rebuild after a core change, its first
(cold) build, and the ``fdt`` package's ``to_dtb`` for reference. Update: one CPU-add
``update_cpus`` with the literal libfdt algorithm and with the fast splice.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.devicetree.fdt_hole import FdtHole, UpdateOutcome  # noqa: E402
from engine.devicetree.kdump_fdt import build_reference_dtb  # noqa: E402
from engine.machine.topology import Machine  # noqa: E402
from tests.fdt_fixtures import builder_for  # noqa: E402

HOLE_BYTES = 1 << 20


def median_s(samples: list[float]) -> float:
    return statistics.median(samples)


def bench_build(cores: int) -> tuple[float, float, float, int]:
    m = Machine(smt=8, cores_present=cores, cores_possible=2 * cores)
    builder = builder_for(m)
    t0 = time.perf_counter()
    blob = builder.build()
    cold = time.perf_counter() - t0
    spare = m.add_core()
    builder.build()  # the spare core's node is now cached, as after its first add
    m.remove_core(spare)
    samples = []
    for i in range(200):
        if i % 2:
            m.remove_core(spare)
        else:
            m.add_core(spare)
        t0 = time.perf_counter()
        builder.build()
        samples.append(time.perf_counter() - t0)
    reference = []
    for _ in range(3):
        t0 = time.perf_counter()
        build_reference_dtb(builder_for(m))
        reference.append(time.perf_counter() - t0)
    return median_s(samples), cold, median_s(reference), len(blob)


def bench_update(cores: int, fast: bool, reps: int) -> float:
    m = Machine(smt=8, cores_present=cores, cores_possible=2 * cores)
    hole = FdtHole(size_bytes=HOLE_BYTES)
    assert hole.load(builder_for(m).build())
    hole.update_cpus(m, fast=False)  # first update after a load is always literal
    samples = []
    for _ in range(reps):
        m.add_core()
        t0 = time.perf_counter()
        outcome = hole.update_cpus(m, fast=fast)
        samples.append(time.perf_counter() - t0)
        assert outcome == UpdateOutcome.UPDATED, outcome
    return median_s(samples)


def main() -> None:
    print(f"POWER9 SMT8, possible = 2 x present, hole {HOLE_BYTES >> 10} KiB; medians")
    head = (
        f"{'cores':>5} {'blob KiB':>8} {'build':>10} {'cold build':>11} {'to_dtb':>10} "
        f"{'literal add':>12} {'fast add':>10} {'ratio':>7}"
    )
    print(head)
    print("-" * len(head))
    for cores in (32, 256):
        build, cold, reference, size = bench_build(cores)
        literal = bench_update(cores, fast=False, reps=20 if cores <= 32 else 6)
        fast = bench_update(cores, fast=True, reps=min(cores, 100))
        print(
            f"{cores:>5} {size / 1024:>8.1f} {build * 1e3:>8.3f}ms {cold * 1e3:>9.1f}ms "
            f"{reference * 1e3:>8.1f}ms {literal * 1e3:>10.2f}ms {fast * 1e3:>8.3f}ms "
            f"{literal / fast:>6.0f}x"
        )


if __name__ == "__main__":
    main()
