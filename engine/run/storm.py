"""Storm phases and churn -> the timed list of hotplug actions one run replays.

Scripted ``[[storm]]`` phases give ``count`` actions at ``at + i * every``, each
delayed by ``uniform(0, jitter)`` from stream ``storm.<index>``. ``[[churn]]`` gives
Poisson arrivals from stream ``churn.<index>``; each arrival draws its kind (CPU
with probability ``cpu_fraction``) and direction (add with ``add_fraction``). A
churn action that would add past the possible cores / memory, remove the last core
or block, or make a later scripted action impossible is turned around; if neither
direction is possible it is dropped. Which core or block an action touches is the
simulation's choice. The list depends on the scenario and seed only, never on the
strategy.
"""

from __future__ import annotations

from operator import itemgetter
from typing import NamedTuple

from engine.rng import RandomStreams
from engine.scenario.load import Scenario

_ACTION = {
    "cpu-add": "core-add",
    "cpu-remove": "core-remove",
    "memory-add": "block-add",
    "memory-remove": "block-remove",
    "smt": "smt",
}


class HotplugAction(NamedTuple):
    """One DLPAR request or captured step. Immutable; a named tuple, as a storm makes one
    per core or block (a frozen dataclass took three times as long to build 64k)."""

    t_s: float
    action: str  # "core-add" | "core-remove" | "block-add" | "block-remove" | "smt", and from a
    # capture "thread-online" | "thread-offline" | "block-added" | "block-online" |
    # "block-offline" | "block-removed"
    phase: str  # "storm[0]", "churn[1]"
    # a captured action names its core / thread / block (None: the simulation picks)
    target: int | None = None
    threads: tuple[int, ...] = ()  # a captured core add/remove: its threads, in order
    gaps_s: tuple[float, ...] = ()  # ... and the pause before each thread after the first
    smt_mode: int | None = None  # "smt": the SMT mode to switch to
    every_s: float = 0.0  # "smt": between one thread's online/offline and the next

    def gap_s(self, i: int, default_s: float) -> float:
        """Pause between thread ``i - 1``'s uevent and thread ``i``'s start."""
        return self.gaps_s[i - 1] if self.gaps_s else default_s


# what a captured step does to the counts churn must keep within bounds
_CAPTURE_DELTA = {
    "core-add": ("core", 1),
    "core-remove": ("core", -1),
    "block-online": ("block", 1),
    "block-offline": ("block", -1),
}


class _Counter:
    """Running count of one resource (cores or blocks) over every action key of the storm.

    All keys are known before any churn decision (the scripted ones, and every churn
    arrival: its draws do not depend on the decision), so the counts live in a
    segment tree over those slots: ``fits`` (the lowest and highest count from a
    key on) and ``insert`` (an action at a key) are O(log n) each, and expansion is
    O(n log n). Each node holds the sum of its slots' deltas and the lowest and
    highest prefix sum within it; a slot without an action has delta 0, so its
    prefix is the count just before it, a count the storm really reaches.
    """

    def __init__(self, start: int, lo: int, hi: int, keys: list[tuple], fixed: dict) -> None:
        self.start, self.lo, self.hi = start, lo, hi
        self.slot = {key: i for i, key in enumerate(keys)}
        size = 1
        while size < max(len(keys), 1):
            size *= 2
        self.size = size
        self.sm = [0] * (2 * size)
        for key, delta in fixed.items():
            self.sm[size + self.slot[key]] = delta
        self.mn = list(self.sm)
        self.mx = list(self.sm)
        for i in range(size - 1, 0, -1):
            self._pull(i)

    def _pull(self, i: int) -> None:
        sm, mn, mx = self.sm, self.mn, self.mx
        left, right = 2 * i, 2 * i + 1
        sm[i] = sm[left] + sm[right]
        mn[i] = min(mn[left], sm[left] + mn[right])
        mx[i] = max(mx[left], sm[left] + mx[right])

    def fits(self, key: tuple, delta: int) -> bool:
        """Would ``delta`` at ``key`` keep every count from there on within [lo, hi]?"""
        sm, mn, mx = self.sm, self.mn, self.mx
        nodes = []
        suffix = 0
        left, right = self.slot[key] + self.size, 2 * self.size
        while left < right:
            if left & 1:
                nodes.append(left)
                suffix += sm[left]
                left += 1
            left >>= 1
            right >>= 1
        running = self.start + sm[1] - suffix  # the count just before key
        low = high = running
        for n in nodes:
            if running + mn[n] < low:
                low = running + mn[n]
            if running + mx[n] > high:
                high = running + mx[n]
            running += sm[n]
        return self.lo <= low + delta and high + delta <= self.hi

    def insert(self, key: tuple, delta: int) -> None:
        i = self.slot[key] + self.size
        self.sm[i] += delta
        self.mn[i] = self.mx[i] = self.sm[i]
        i >>= 1
        while i:
            self._pull(i)
            i >>= 1


def expand_storm(scenario: Scenario, streams: RandomStreams) -> list[HotplugAction]:
    """All hotplug actions of the scenario, sorted by time (ties: storms, then churn, in order)."""
    m = scenario.machine
    keyed: list[tuple[tuple, HotplugAction]] = []
    fixed: dict[str, list[tuple[tuple, int]]] = {"core": [], "block": []}
    has_churn = bool(scenario.churn)  # the scripted counts matter only to churn decisions
    for phase in scenario.storms:
        rng = streams.get(f"storm.{phase.index}")
        action = _ACTION[phase.action]
        name = f"storm[{phase.index}]"  # one string per phase: every record names it
        counted = fixed[action[: action.index("-")]] if has_churn and action != "smt" else None
        delta = 1 if action.endswith("add") else -1
        for i in range(phase.count):
            t_s = phase.at_s + i * phase.every_s
            if phase.jitter_s > 0:
                t_s += rng.uniform(0.0, phase.jitter_s)
            key = (t_s, 0, phase.index, i)
            if action == "smt":
                # threads only: no core or memory block comes or goes
                keyed.append(
                    (
                        key,
                        HotplugAction(
                            t_s, action, name, smt_mode=phase.threads, every_s=phase.every_s
                        ),
                    )
                )
                continue
            keyed.append((key, HotplugAction(t_s, action, name)))
            if counted is not None:
                counted.append((key, delta))
    for storm in scenario.captures:
        where = f"storm[{storm.index}]"
        for i, step in enumerate(storm.steps):
            t_s = storm.at_s + step.t_s
            key = (t_s, 0, storm.index, i)
            replay = HotplugAction(t_s, step.action, where, step.target, step.threads, step.gaps_s)
            keyed.append((key, replay))
            if step.action in _CAPTURE_DELTA:
                kind, delta = _CAPTURE_DELTA[step.action]
                fixed[kind].append((key, delta))
    block = m.memory_block_bytes
    arrivals: list[tuple[tuple, str, bool, int]] = []  # (key, kind, add, churn index)
    for churn in scenario.churn:
        rng = streams.get(f"churn.{churn.index}")
        t_s, k = churn.start_s, 0
        while True:
            t_s += rng.expovariate(churn.rate_per_s)
            if t_s >= churn.end_s:
                break
            kind = "core" if rng.random() < churn.cpu_fraction else "block"
            add = rng.random() < churn.add_fraction
            arrivals.append(((t_s, 1, churn.index, k), kind, add, churn.index))
            k += 1
    bounds = {
        "core": (m.cores_present, 1, m.cores_possible),
        "block": (m.memory_bytes // block, 1, m.memory_possible_bytes // block),
    }
    counters = {}
    for kind, (start, lo, hi) in bounds.items():
        if not arrivals:
            break  # no churn decision to make
        deltas: dict[tuple, int] = {}
        for key, delta in fixed[kind]:
            deltas[key] = deltas.get(key, 0) + delta
        keys = sorted([*deltas, *(a[0] for a in arrivals if a[1] == kind)])
        counters[kind] = _Counter(start, lo, hi, keys, deltas)
    churn_names = {c.index: f"churn[{c.index}]" for c in scenario.churn}
    for key, kind, add, index in arrivals:  # phase by phase, each in time order, as drawn
        for delta in (1, -1) if add else (-1, 1):
            if counters[kind].fits(key, delta):
                counters[kind].insert(key, delta)
                action = f"{kind}-{'add' if delta > 0 else 'remove'}"
                keyed.append((key, HotplugAction(key[0], action, churn_names[index])))
                break
    keyed.sort(key=itemgetter(0))
    return [action for _, action in keyed]


def uevent_count(scenario: Scenario, actions: list[HotplugAction]) -> int:
    """Uevents the actions emit: one per thread for a core (pseries DLPAR), two per block.

    A block added is ``add`` then ``online``; one removed ``offline`` then ``remove``;
    a captured step is one uevent. An SMT switch emits one per thread it changes,
    which depends on the state it finds; it is counted as the threads it changes on
    the boot cores.
    """
    m = scenario.machine
    mode = m.boot_smt or m.smt
    total = 0
    for a in actions:
        if a.action == "smt" and a.smt_mode is not None:
            total += abs(a.smt_mode - mode) * m.cores_present
            mode = a.smt_mode
        elif a.action.startswith("core"):
            total += len(a.threads) or m.smt
        elif a.action in ("block-add", "block-remove"):
            total += 2
        else:
            total += 1  # a captured step is one uevent
    return total
