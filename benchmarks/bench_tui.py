"""TUI benchmark: replay scenarios/large_lpar.toml (240 SMT8 cores) with the /cpus tree expanded.

Headless (``app.run_test(size=(160, 50))``); frames are played back to back, each
advancing the session by ``speed / 30`` simulated seconds, then Textual processes its
messages and renders the screen once. Prints frames per second and peak RSS
(``resource.getrusage``).

    TEXTUAL_ANIMATIONS=none python3 benchmarks/bench_tui.py [--speed 1000 10] [--strategy NAME]

Targets (issue #4): >= 30 frames/s at 160x50, peak RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

from tui.factory import make_app  # noqa: E402

SCENARIO = ROOT / "scenarios" / "large_lpar.toml"
SIZE = (160, 50)


async def render(pilot) -> None:
    """Process pending messages, then lay out and render the screen once (one frame).

    ``pilot.pause()`` would also sleep for idle detection (>= 20 ms), which measures
    the test harness rather than the app; this is the same work without the sleep.
    """
    await pilot._wait_for_screen()
    pilot.app.screen._on_timer_update()


async def replay(strategy: str, speed: float, compare: str | None) -> dict[str, float]:
    app = make_app(SCENARIO, strategy, speed=speed, compare=compare)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.storm
        for pane in screen.panes:
            pane.cpus_tree.expand_all_cores()
        await pilot.pause()
        screen.playback.playing = True
        frames = 0
        start = time.perf_counter()
        engine_s = 0.0
        while screen.playback.playing:
            t0 = time.perf_counter()
            screen.advance_frames(1)
            engine_s += time.perf_counter() - t0
            await render(pilot)
            frames += 1
        wall = time.perf_counter() - start
        lines = sum(len(p.cpus_tree._tree_lines) for p in screen.panes)
        return {
            "frames": frames,
            "wall_s": wall,
            "fps": frames / wall,
            "sync_share": engine_s / wall,
            "sim_s": screen.runs.now_s,
            "tree_lines": lines,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, nargs="+", default=[1000.0, 10.0])
    parser.add_argument("--strategy", default="fdt-hole")
    parser.add_argument("--compare", default=None, help="second strategy (compare mode)")
    args = parser.parse_args()
    print(
        f"{SCENARIO.name}, {args.strategy}"
        f"{' vs ' + args.compare if args.compare else ''}, {SIZE[0]}x{SIZE[1]}, tree expanded"
    )
    for speed in args.speed:
        r = asyncio.run(replay(args.strategy, speed, args.compare))
        print(
            f"  x{speed:g}: {r['frames']} frames in {r['wall_s']:.2f} s = {r['fps']:.1f} "
            f"frames/s (model + widget sync {100 * r['sync_share']:.0f}% of the time), "
            f"{r['sim_s']:g} s simulated, {r['tree_lines']} tree lines"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
