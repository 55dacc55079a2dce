"""Start-up: CPU time of ``--help``, ``validate`` and ``inspect --help`` against
``python3 -c pass``, and the TUI's first paint in a real terminal (tmux).

    python3 benchmarks/bench_startup.py [--python PATH] [--reps N]

``--python`` runs the commands with another interpreter (a clean venv's). The commands
are run as a user types them, through the ``kdump-storm`` console script beside the
interpreter when there is one (its wrapper imports ``re``), else ``python -m cli.main``.
The floor of each figure is printed in the same run: ``python -c pass`` for the CPU
times, and for the first paint the wall time of ``import textual.app`` alone in a fresh
process (Textual is pinned exactly; no first paint of a Textual app comes sooner).
The first paint is the
wall time from starting ``kdump-storm tui scenarios/default.toml`` in a detached
160x50 tmux window to the moment its screen shows the header's play state, polled
every 5 ms with ``tmux capture-pane`` (so it is late by up to one poll). Targets
(issue 10): ``--help`` <= 50 ms CPU, first paint < 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cpu_seconds(argv: list[str], reps: int) -> float:
    """Median user+sys CPU seconds of a child process."""
    samples = []
    for _ in range(reps):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(argv, capture_output=True, check=False, env=os.environ, cwd=ROOT)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        samples.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(samples)


def command(python: str) -> list[str]:
    """How a user starts kdump-storm with ``python``: its console script, if installed."""
    script = Path(python).parent / "kdump-storm"
    return [str(script)] if script.exists() else [python, "-m", "cli.main"]


def bench_help(python: str, reps: int) -> None:
    floor = cpu_seconds([python, "-c", "pass"], reps)
    print(
        f"start-up CPU (median of {reps}, {' '.join(command(python))}), against `python -c pass`:"
    )
    print(f"  python -c pass                       {floor * 1e3:6.1f} ms")
    for args in (["--help"], ["validate", "scenarios/default.toml"], ["inspect", "--help"]):
        cpu = cpu_seconds([*command(python), *args], reps)
        print(f"  kdump-storm {' '.join(args):24} {cpu * 1e3:6.1f} ms")


def textual_import_s(python: str, reps: int) -> float:
    """Median wall seconds of ``import textual.app`` in a fresh ``python`` process."""
    code = (
        "import time; t = time.perf_counter(); import textual.app; print(time.perf_counter() - t)"
    )
    runs = [
        float(
            subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout
        )
        for _ in range(reps)
    ]
    return statistics.median(runs)


def first_paint_s(python: str, session: str = "kdump-storm-first-paint") -> float | None:
    """Seconds from launch to the TUI's first full screen in tmux; None on a timeout."""
    argv = " ".join(command(python))
    command_line = f"cd {ROOT} && exec {argv} tui scenarios/default.toml"
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)
    start = time.perf_counter()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "50", command_line],
        check=True,
    )
    try:
        while time.perf_counter() - start < 30:
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            if "kdump-storm" in screen and "paused" in screen:
                return time.perf_counter() - start
            time.sleep(0.005)
        return None
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)


def bench_first_paint(python: str, reps: int) -> None:
    if shutil.which("tmux") is None:
        print("TUI first paint: not measured (no tmux on this machine)")
        return
    # the tmux server's own start is not the app's: one throwaway run starts it
    first_paint_s(python)
    times = [t for t in (first_paint_s(python) for _ in range(reps)) if t is not None]
    if not times:
        print("TUI first paint: no full screen within 30 s")
        return
    print(
        f"TUI first paint (default scenario, 160x50 tmux, median of {len(times)}): "
        f"{statistics.median(times):.3f} s (best {min(times):.3f} s)"
    )
    print(
        f"  floor: `import textual.app` alone, fresh process, median of {reps}: "
        f"{textual_import_s(python, reps):.3f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter to start")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    bench_help(args.python, args.reps)
    bench_first_paint(args.python, args.reps)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load} (the machine may be shared)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
