"""Loading a large capture: 992 DLPAR core adds (SMT8) + 2048 memory blocks, ~12k events.

    python3 benchmarks/bench_capture.py

Prints, for each form (``udevadm monitor``, ``--property``, journal JSON), the
wall time to read the file and check it against the machine (what ``validate``
and ``run`` do before any simulation), next to a baseline measured in the same
run: the least any line-by-line reader must do with the same text (one regular
expression match per line of udevadm output, one ``json.loads`` per journal line).
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.scenario.capture import captured_storm  # noqa: E402
from engine.scenario.capture_read import read_capture  # noqa: E402
from engine.scenario.model import MachineSpec  # noqa: E402

CORES, SMT, BLOCKS = 992, 8, 2048
MACHINE = MachineSpec(
    cores_present=32,
    cores_possible=1024,
    memory_bytes=64 << 30,
    memory_possible_bytes=(64 << 30) + BLOCKS * (256 << 20),
    smt=SMT,
)


def events() -> list[tuple[int, str, str, str]]:
    out = []
    t = 1_000_000_000
    for core in range(32, 32 + CORES):
        for i in range(SMT):
            out.append((t, "online", f"/devices/system/cpu/cpu{core * SMT + i}", "cpu"))
            t += 2_000
        t += 250_000
    for block in range(256, 256 + BLOCKS):
        for action in ("add", "online"):
            out.append((t, action, f"/devices/system/memory/memory{block}", "memory"))
        t += 50_000
    return out


def forms(evs: list[tuple[int, str, str, str]]) -> dict[str, str]:
    def line(src: str, t: int, a: str, d: str, s: str) -> str:
        # udevadm-monitor.c: "%-6s[%"PRI_TIME".%06"PRI_NSEC"] %-8s %s (%s)\n"
        return f"{src:<6}[{t // 10**6}.{t % 10**6:06d}] {a:<8} {d} ({s})\n"

    plain, prop, journal = [], [], []
    for n, (t, a, d, s) in enumerate(evs):
        plain += [line("KERNEL", t, a, d, s), line("UDEV", t + 900, a, d, s)]
        prop += [line("KERNEL", t, a, d, s), f"ACTION={a}\nDEVPATH={d}\nSUBSYSTEM={s}\n"]
        prop.append(f"SEQNUM={n + 1}\n\n")
        entry = {"__MONOTONIC_TIMESTAMP": str(t), "ACTION": a, "DEVPATH": d, "SUBSYSTEM": s}
        journal.append(json.dumps({**entry, "SEQNUM": str(n + 1)}) + "\n")
    return {
        "udevadm monitor": "".join(plain),
        "udevadm monitor --property": "".join(prop),
        "journalctl -o json": "".join(journal),
    }


def best_of(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    evs = events()
    pattern = re.compile(r"^(\S+)\[([^\]]*)\]\s+(\S+)\s+(\S+)\s+\(([^)]*)\)")
    print(f"{len(evs)} events ({CORES} cores x SMT{SMT} online, {BLOCKS} blocks add + online)")
    for name, text in forms(evs).items():
        storm = captured_storm(read_capture(text, name), MACHINE)
        load_s = best_of(lambda t=text, n=name: captured_storm(read_capture(t, n), MACHINE))
        per_line = json.loads if name.startswith("journal") else pattern.match
        base_s = best_of(lambda t=text, f=per_line: [f(x) for x in t.splitlines()])
        lines = text.count("\n")
        print(
            f"{name:28s} {lines:6d} lines  load+check {load_s * 1e3:7.1f} ms  "
            f"baseline {base_s * 1e3:6.1f} ms  "
            f"x{load_s / base_s:4.1f}  -> {len(storm.steps)} steps"
        )


if __name__ == "__main__":
    main()
