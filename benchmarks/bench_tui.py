"""TUI benchmark: replay scenarios/large_lpar.toml (240 SMT8 cores) with the /cpus tree expanded.

Headless (``app.run_test(size=(160, 50))``) and live: playback runs on the wall
clock with the engine's per-frame budget, as in the real app, but frames are
played back to back (no 30 frames/s cap): each frame advances the sessions,
then Textual processes its messages and renders the screen once. Prints frames
per second, frame times and peak RSS (``resource.getrusage``).

    TEXTUAL_ANIMATIONS=none python3 benchmarks/bench_tui.py [--speed 1 10 1000]
        [--start 10] [--seconds 20] [--strategy NAME] [--compare NAME] [--profile FILE]
        [--repeat N] [--baseline GIT_REF]

Each run stops at the end of the scenario or after ``--seconds`` of wall time.
Targets (issue #4): >= 30 frames/s at 160x50, peak RSS <= 300 MB.

At x1000 the storm of large_lpar is over in well under a second (~20-50 frames), so
one run is a small sample. ``--repeat N`` replays it N times, each in a fresh
process, and adds a line per speed with the frames of all runs pooled.
``--timer`` lets the app's own 30 Hz timer play (as in a terminal, headless), so
frames/s is what a user gets (at most 30), not the capacity.
``--baseline REF`` runs, in the same minute and interleaved with this tree's runs
(A B B A ...: neither always goes first), the TUI of git ``REF`` (its ``tui/``
package only, on this tree's engine), and prints both pooled figures.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "--tui-from" in sys.argv:  # a baseline's tui/ package, ahead of this tree's (engine stays ours)
    sys.path.insert(0, sys.argv[sys.argv.index("--tui-from") + 1])
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

from tui import textual_internals as internals  # noqa: E402
from tui.factory import make_app  # noqa: E402

SCENARIO = ROOT / "scenarios" / "large_lpar.toml"
SIZE = (160, 50)


async def render(pilot) -> None:
    """Process pending messages, then lay out and render the screen once (one frame).

    ``pilot.pause()`` would also sleep for idle detection (>= 20 ms), which measures
    the test harness rather than the app; this is the same work without the sleep.
    """
    await internals.one_frame(pilot)


async def replay(
    strategy: str,
    speed: float,
    compare: str | None,
    start_s: float,
    max_wall_s: float,
    profile: cProfile.Profile | None,
    timer: bool = False,
) -> dict[str, float]:
    app = make_app(SCENARIO, strategy, speed=speed, compare=compare, at=start_s, live=timer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.storm
        for pane in screen.panes:
            pane.cpus_tree.expand_all_cores()
        await pilot.pause()
        # the app starts paused and loads the verdict's numpy in a worker meanwhile (a user
        # reads the first screen first): playback is measured once that is done
        await app.workers.wait_for_complete()
        screen.playback.clock = time.perf_counter  # live: wall clock and engine budget
        screen.playback.playing = True
        frame_s: list[float] = []
        engine_s = sync_s = 0.0
        lagging = 0
        rates: list[float] = []  # the header's "engine xN" while it shows
        runs = screen.runs
        advance = runs.advance_to

        starts: list[float] = []  # --timer: when each of the app's frames began

        def timed_advance(t_s: float, *, budget_s: float | None = None) -> bool:
            nonlocal engine_s
            t0 = time.perf_counter()
            starts.append(t0)
            try:
                return advance(t_s, budget_s=budget_s)
            finally:
                engine_s += time.perf_counter() - t0

        runs.advance_to = timed_advance  # type: ignore[method-assign]
        start = time.perf_counter()
        if profile:
            profile.enable()
        while timer and screen.playback.playing and time.perf_counter() - start < max_wall_s:
            await asyncio.sleep(0.01)  # the app's own 30 Hz timer plays and Textual renders
            if screen.playback.engine_rate is not None:
                rates.append(screen.playback.engine_rate)
        if timer:
            frame_s = [b - a for a, b in zip(starts, starts[1:], strict=False)] or [0.0]
            lagging = len(frame_s) if rates else 0
            sync_s = engine_s  # not measured apart: the timer's frames include it
        while not timer and screen.playback.playing and time.perf_counter() - start < max_wall_s:
            t0 = time.perf_counter()
            screen.advance_frames(1)
            sync_s += time.perf_counter() - t0
            if screen.playback.engine_rate is not None:
                lagging += 1
                rates.append(screen.playback.engine_rate)
            await render(pilot)
            frame_s.append(time.perf_counter() - t0)
        if profile:
            profile.disable()
        wall = time.perf_counter() - start
        del runs.advance_to
        return {
            "frames": len(frame_s),
            "wall_s": wall,
            "fps": len(frame_s) / wall,
            "p50_ms": 1000 * statistics.median(frame_s),
            "p95_ms": 1000 * statistics.quantiles(frame_s, n=20)[-1],
            "max_ms": 1000 * max(frame_s),
            "engine_share": engine_s / wall,
            "sync_share": (sync_s - engine_s) / wall,  # widgets pulling engine state
            "sim_s": screen.runs.now_s - start_s,
            "lagging": lagging / len(frame_s),
            "header_rate": statistics.median(rates) if rates else None,
            "tree_lines": sum(p.cpus_tree.line_count for p in screen.panes),
            "frame_s": frame_s,
            "timer": timer,
        }


def run_line(speed: float, r: dict) -> str:
    """One run's figures (the line this benchmark has always printed)."""
    rate = r["header_rate"]
    shown = f"header 'engine x{rate:.0f}' (median)" if rate is not None else "no lag shown"
    how = "timer-driven (the app's 30 Hz timer), " if r.get("timer") else ""
    sync = "" if r.get("timer") else f"widget sync {100 * r['sync_share']:.0f}%, "
    return (
        f"  x{speed:g}: {how}{r['frames']} frames in {r['wall_s']:.2f} s = {r['fps']:.1f} "
        f"frames/s (frame p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, max "
        f"{r['max_ms']:.0f} ms); wall time: engine {100 * r['engine_share']:.0f}%, {sync}"
        f"render and Textual the rest; "
        f"{r['sim_s']:.1f} s simulated = engine x{r['sim_s'] / r['wall_s']:.0f} "
        f"(lagging in {100 * r['lagging']:.0f}% of frames, {shown}), "
        f"{r['tree_lines']} tree lines"
    )


def pooled(runs: list[dict]) -> str:
    """Frames of several runs together: frames over their summed wall time, and the
    frame-time quantiles of all of them."""
    frames = [f for r in runs for f in r["frame_s"]]
    wall = sum(r["wall_s"] for r in runs)
    p95 = statistics.quantiles(frames, n=20)[-1] if len(frames) > 1 else frames[0]
    simulated = sum(r["sim_s"] for r in runs)
    return (
        f"{len(frames)} frames in {wall:.2f} s = {len(frames) / wall:.1f} frames/s "
        f"(p50 {1000 * statistics.median(frames):.1f} ms, p95 {1000 * p95:.1f} ms, "
        f"runs {min(r['fps'] for r in runs):.1f}..{max(r['fps'] for r in runs):.1f}); "
        f"{simulated:.0f} s simulated = engine x{simulated / wall:.0f}"
    )


def baseline_tui(ref: str, into: Path) -> Path:
    """``git archive REF tui`` unpacked in ``into``: the baseline's TUI package alone."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "tui"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def child_run(args: argparse.Namespace, speed: float, tui_from: Path | None) -> dict:
    """One replay in a fresh process (no cache or heap left over from the previous one)."""
    cmd = [sys.executable, __file__, "--json", "--speed", f"{speed:g}"]
    cmd += ["--strategy", args.strategy, "--start", f"{args.start:g}"]
    cmd += ["--seconds", f"{args.seconds:g}"]
    if args.compare:
        cmd += ["--compare", args.compare]
    if args.timer:
        cmd += ["--timer"]
    if tui_from is not None:
        cmd += ["--tui-from", str(tui_from)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.splitlines()[-1])
    want = (tui_from or ROOT) / "tui"
    assert Path(r["tui_dir"]) == want, f"ran {r['tui_dir']}'s tui, not {want}'s"
    return r


def repeated(args: argparse.Namespace) -> None:
    """``--repeat`` and ``--baseline``: runs in child processes, pooled per speed."""
    with tempfile.TemporaryDirectory() as tmp:
        base = baseline_tui(args.baseline, Path(tmp)) if args.baseline else None
        for speed in args.speed:
            ours: list[dict] = []
            theirs: list[dict] = []
            for i in range(args.repeat):
                order: list[Path | None] = [None] if base is None else [None, base]
                for tui_from in order if i % 2 == 0 else order[::-1]:
                    r = child_run(args, speed, tui_from)
                    (ours if tui_from is None else theirs).append(r)
                    tag = "" if tui_from is None else f"  [{args.baseline}'s tui]"
                    print(run_line(speed, r) + tag, flush=True)
            print(f"  x{speed:g}, {args.repeat} runs pooled: this tree {pooled(ours)}")
            if theirs:
                name = f"{args.baseline}'s tui"
                print(f"  x{speed:g}, {args.repeat} runs pooled: {name} {pooled(theirs)}")
            peak = max(r["peak_mb"] for r in ours + theirs)
            print(f"  peak RSS {peak:.0f} MB (largest run)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, nargs="+", default=[1.0, 10.0, 1000.0])
    parser.add_argument("--strategy", default="fdt-hole")
    parser.add_argument("--compare", default=None, help="second strategy (compare mode)")
    parser.add_argument("--start", type=float, default=10.0, help="simulated start (storm: 10 s)")
    parser.add_argument("--seconds", type=float, default=20.0, help="wall seconds per speed")
    parser.add_argument("--profile", default=None, help="write cProfile stats of the loop here")
    parser.add_argument(
        "--timer",
        action="store_true",
        help="frames from the app's own 30 Hz timer, as in a terminal (not back to back)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per speed, pooled")
    parser.add_argument("--baseline", default=None, help="git ref whose tui/ runs alongside")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # a child run
    parser.add_argument("--tui-from", default=None, help=argparse.SUPPRESS)  # read at import
    args = parser.parse_args()
    if args.json:
        (speed,) = args.speed
        r = asyncio.run(
            replay(args.strategy, speed, args.compare, args.start, args.seconds, None, args.timer)
        )
        r["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        r["tui_dir"] = str(Path(internals.__file__).parent)
        print(json.dumps(r))
        return 0
    profile = cProfile.Profile() if args.profile else None
    print(
        f"{SCENARIO.name}, {args.strategy}"
        f"{' vs ' + args.compare if args.compare else ''}, {SIZE[0]}x{SIZE[1]}, tree expanded, "
        f"from t = {args.start:g} s, at most {args.seconds:g} s wall per speed"
    )
    if args.repeat > 1 or args.baseline:
        repeated(args)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"  load average {load} (the machine may be shared)")
        return 0
    for speed in args.speed:
        r = asyncio.run(
            replay(
                args.strategy, speed, args.compare, args.start, args.seconds, profile, args.timer
            )
        )
        print(run_line(speed, r))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"  peak RSS {peak_mb:.0f} MB; load average {load} (the machine may be shared)")
    if profile:
        profile.dump_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
