"""Storm expansion is O(n log n) and agrees with the plain running count; a cap on all events.

Issue 14 item 7. ``_Counter`` (a segment tree) is checked against the O(n)-per-event
list it replaced, on random storms; the cap is checked through ``validate``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from bisect import bisect_right
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.run.storm import _Counter
from engine.scenario.load import MAX_STORM_EVENTS

ROOT = Path(__file__).resolve().parent.parent


class NaiveCounter:
    """The list the segment tree replaced: every insert rewrites the counts after it."""

    def __init__(self, start: int, lo: int, hi: int, fixed: dict) -> None:
        self.start, self.lo, self.hi = start, lo, hi
        self.keys: list[tuple] = []
        self.after: list[int] = []
        count = start
        for key in sorted(fixed):
            count += fixed[key]
            self.keys.append(key)
            self.after.append(count)

    def fits(self, key: tuple, delta: int) -> bool:
        p = bisect_right(self.keys, key)
        counts = [self.after[p - 1] if p else self.start, *self.after[p:]]
        return self.lo <= min(counts) + delta and max(counts) + delta <= self.hi

    def insert(self, key: tuple, delta: int) -> None:
        p = bisect_right(self.keys, key)
        before = self.after[p - 1] if p else self.start
        self.keys.insert(p, key)
        self.after.insert(p, before + delta)
        for i in range(p + 1, len(self.after)):
            self.after[i] += delta


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    start=st.integers(1, 6),
    room=st.integers(0, 6),
    fixed=st.lists(st.tuples(st.integers(0, 60), st.sampled_from([1, -1])), max_size=20),
    arrivals=st.lists(st.tuples(st.integers(0, 60), st.booleans()), max_size=60),
)
def test_the_segment_tree_decides_every_churn_arrival_as_the_running_count_did(
    start: int, room: int, fixed: list, arrivals: list
) -> None:
    fixed_keys = {(t, 0, 0, i): d for i, (t, d) in enumerate(fixed)}
    churn = [((t, 1, 0, k), add) for k, (t, add) in enumerate(arrivals)]
    keys = sorted([*fixed_keys, *(key for key, _ in churn)])
    tree = _Counter(start, 1, start + room, keys, fixed_keys)
    naive = NaiveCounter(start, 1, start + room, fixed_keys)
    for key, add in churn:
        for delta in (1, -1) if add else (-1, 1):
            assert tree.fits(key, delta) == naive.fits(key, delta)
            if naive.fits(key, delta):
                tree.insert(key, delta)
                naive.insert(key, delta)
                break


def test_a_scenario_past_the_event_cap_is_refused_with_the_cap_in_the_error(tmp_path: Path) -> None:
    # two churn phases of 1,000/s over 150 s: 300,000 expected events, over the cap
    text = (
        '[scenario]\nduration = "150s"\n[machine]\ncores_present = 2\ncores_possible = 8\n'
        'memory = "8GiB"\n[[churn]]\nrate = "1000/s"\n[[churn]]\nrate = "1000/s"\n'
    )
    (tmp_path / "s.toml").write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "validate", "s.toml"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"more than the cap of {MAX_STORM_EVENTS} events" in done.stderr
    assert "about 300000 hotplug events" in done.stderr
