"""Crash outcomes: what a panic at one instant, on one CPU, would give.

The rules follow ``__crash_kexec()`` and the capture kernel's boot (see
domain.md section 7): no kexec lock or no image means no dump; an FDT without
the crashing CPU means the capture kernel BUG()s ("Failed to identify boot
CPU"); an elfcorehdr without some online memory gives an incomplete dump.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.devicetree.update_progress import TornCount


class Result(StrEnum):
    CAPTURED = "captured"
    NO_DUMP = "no-dump"
    INCOMPLETE = "incomplete"


class Cause(StrEnum):
    UNLOADED = "unloaded"
    KEXEC_LOCKED = "kexec-locked"
    IMAGE_NULL = "image-null"
    CPU_MISSING = "cpu-missing-in-fdt"
    # the RFC's lock-free update is mid-way: the crashing CPU's node is not re-added yet
    FDT_TORN = "fdt-torn"
    # the elfcorehdr still has a PT_LOAD for memory already removed
    STALE_MEMORY = "stale-memory"


@dataclass(frozen=True, slots=True)
class TornRamp:
    """A segment's threads lost to a half-written tree, falling as nodes come back.

    The RFC's update re-adds CPU nodes one libfdt call at a time, over microseconds:
    the segment carries the torn count as a function of time instead of one segment
    per node, and once closed its probabilities are the exact averages over its span.
    That keeps ``exposure_s`` exact, and the Monte Carlo draw too (a uniform instant
    on a uniform CPU is lost with the time-averaged probability).
    """

    torn: TornCount
    memory_whole: bool  # the elfcorehdr covers the online memory and nothing removed

    def probabilities(
        self, missing: int, online: int, t0_s: float, t1_s: float
    ) -> tuple[float, float]:
        """(P(no dump), P(incomplete)) averaged over ``[t0_s, t1_s]``."""
        p_no = (missing + self.torn.mean(t0_s, t1_s)) / online if online else 0.0
        return p_no, 0.0 if self.memory_whole else 1.0 - p_no


@dataclass(frozen=True, slots=True)
class Readiness:
    """The kdump readiness between ``t0_s`` and ``t1_s``.

    Constant over the segment, except while a lock-free update is half-written
    (``ramp``): then ``p_no_dump`` and ``p_incomplete`` are the averages over the
    closed segment (the value at ``t0_s`` while it is open; ``at()`` gives an instant).
    ``missing_threads``: online threads not in the FDT (a ramp's torn threads apart).
    """

    t0_s: float
    t1_s: float | None
    p_no_dump: float
    p_incomplete: float
    cause: Cause | None
    missing_threads: frozenset[int]
    online_threads: int
    ramp: TornRamp | None = None

    @property
    def length_s(self) -> float:
        """How long the segment lasted (0 while it is still open)."""
        return (self.t1_s or self.t0_s) - self.t0_s

    @property
    def exposure_s(self) -> float:
        """This segment's share of the exposure integral: P(no dump) times its length."""
        return self.p_no_dump * self.length_s

    def closed(self, t1_s: float | None) -> Readiness:
        p_no, p_inc = self.p_no_dump, self.p_incomplete
        if self.ramp is not None and t1_s is not None:
            p_no, p_inc = self.ramp.probabilities(
                len(self.missing_threads), self.online_threads, self.t0_s, t1_s
            )
        return Readiness(
            self.t0_s,
            t1_s,
            p_no,
            p_inc,
            self.cause,
            self.missing_threads,
            self.online_threads,
            self.ramp,
        )

    def at(self, t_s: float) -> Readiness:
        """The readiness at the instant ``t_s`` inside this segment (itself if constant)."""
        if self.ramp is None:
            return self
        p_no, p_inc = self.ramp.probabilities(
            len(self.missing_threads), self.online_threads, t_s, t_s
        )
        return Readiness(
            t_s, None, p_no, p_inc, self.cause, self.missing_threads, self.online_threads
        )

    def loses(self, cpu: int) -> bool:
        """Does a panic on ``cpu`` at the segment's start get no dump for want of its node?"""
        if cpu in self.missing_threads:
            return True
        return self.ramp is not None and self.ramp.torn.update.is_torn(cpu, self.t0_s)

    def same_state(self, other: Readiness) -> bool:
        mine, theirs = self.ramp, other.ramp
        if mine is not None or theirs is not None:
            # a ramp's probabilities move with time: the same torn count is the same state
            return (
                mine is not None
                and theirs is not None
                and mine.torn is theirs.torn
                and mine.memory_whole == theirs.memory_whole
                and self.cause == other.cause
                and self.missing_threads == other.missing_threads
                and self.online_threads == other.online_threads
            )
        return (
            self.p_no_dump == other.p_no_dump
            and self.p_incomplete == other.p_incomplete
            and self.cause == other.cause
            and (
                self.missing_threads is other.missing_threads
                or self.missing_threads == other.missing_threads
            )
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a panic at ``t_s`` on thread ``cpu`` would give."""

    t_s: float
    cpu: int
    result: Result
    cause: Cause | None

    def as_dict(self) -> dict[str, object]:
        return {
            "t_s": round(self.t_s, 9),
            "cpu": self.cpu,
            "result": self.result.value,
            "cause": None if self.cause is None else self.cause.value,
        }


@dataclass(frozen=True, slots=True)
class KdumpState:
    """The facts the outcome depends on, taken from the image and the machine."""

    image_loaded: bool
    image_null: bool
    kexec_locked: bool
    online_threads: AbstractSet[int]  # may be a live view: read it, do not keep it
    fdt_threads: AbstractSet[int] | None  # None: the architecture needs no FDT (not modelled)
    memory_complete: bool
    # threads whose CPU node a lock-free update has deleted and not yet re-added
    torn: TornCount | None = None
    # the elfcorehdr lists memory no longer present (removed since it was built)
    memory_stale: bool = False
    # online threads not in the FDT, when the caller keeps that set up to date itself
    missing_threads: frozenset[int] | None = None


def image_cause(state: KdumpState) -> Cause | None:
    """Why no image can be used at all right now, in ``__crash_kexec`` order."""
    if state.image_null:
        return Cause.IMAGE_NULL  # in-kernel update: lock held and image set to NULL
    if state.kexec_locked:
        return Cause.KEXEC_LOCKED
    if not state.image_loaded:
        return Cause.UNLOADED
    return None


def crash_outcome(state: KdumpState, t_s: float, cpu: int) -> Outcome:
    """The outcome of a panic at ``t_s`` on thread ``cpu``."""
    cause = image_cause(state)
    if cause is not None:
        return Outcome(t_s, cpu, Result.NO_DUMP, cause)
    if state.torn is not None and state.torn.update.is_torn(cpu, t_s):
        # prom.c finds no node for boot_cpuid_phys in the half-written tree
        return Outcome(t_s, cpu, Result.NO_DUMP, Cause.FDT_TORN)
    if state.fdt_threads is not None and cpu not in state.fdt_threads:
        return Outcome(t_s, cpu, Result.NO_DUMP, Cause.CPU_MISSING)
    if not state.memory_complete:
        return Outcome(t_s, cpu, Result.INCOMPLETE, None)
    if state.memory_stale:
        return Outcome(t_s, cpu, Result.INCOMPLETE, Cause.STALE_MEMORY)
    return Outcome(t_s, cpu, Result.CAPTURED, None)


def readiness_of(state: KdumpState, t_s: float) -> Readiness:
    """Readiness for a panic on a uniformly random online CPU."""
    online = len(state.online_threads)
    cause = image_cause(state)
    if cause is not None:
        # no image to use at all: every CPU loses its dump, none is "missing from the FDT"
        return Readiness(t_s, None, 1.0, 0.0, cause, frozenset(), online)
    missing: frozenset[int]
    if state.missing_threads is not None:
        missing = state.missing_threads
    elif state.fdt_threads is None:
        missing = frozenset()
    else:
        missing = frozenset(state.online_threads - state.fdt_threads)
    torn_now = state.torn.at(t_s) if state.torn is not None else 0
    memory_whole = state.memory_complete and not state.memory_stale
    ramp = TornRamp(state.torn, memory_whole) if state.torn is not None and torn_now else None
    p_no = (len(missing) + torn_now) / online if online else 0.0
    p_inc = 0.0 if memory_whole else 1.0 - p_no
    why: Cause | None
    if torn_now:
        why = Cause.FDT_TORN
    elif missing:
        why = Cause.CPU_MISSING
    elif state.memory_complete and state.memory_stale:
        why = Cause.STALE_MEMORY
    else:
        why = None
    return Readiness(t_s, None, p_no, p_inc, why, missing, online, ramp)


@dataclass(frozen=True)
class MonteCarlo:
    runs: int
    p_captured: float
    p_dump: float  # captured or incomplete: a dump of some kind was taken
    ci95: tuple[float, float]  # for p_captured (Wilson score interval)
    ci95_dump: tuple[float, float]

    def as_dict(self) -> dict[str, object]:
        return {
            "runs": self.runs,
            "p_captured": round(self.p_captured, 6),
            "ci95": [round(self.ci95[0], 6), round(self.ci95[1], 6)],
            "p_dump": round(self.p_dump, 6),
            "ci95_dump": [round(self.ci95_dump[0], 6), round(self.ci95_dump[1], 6)],
        }


def wilson_interval(successes: int, runs: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion."""
    if runs == 0:
        return (0.0, 1.0)
    p = successes / runs
    denom = 1 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denom
    half = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def load_monte_carlo() -> None:
    """Import what ``monte_carlo`` draws with (numpy, ~130 ms here) ahead of need: the
    TUI does it in a thread while the user reads the paused first screen, so the
    verdict at the end of a replay does not stall a frame on the import."""
    import numpy  # noqa: F401


def monte_carlo(
    history: Sequence[Readiness], duration_s: float, runs: int, rng: random.Random
) -> MonteCarlo:
    """Panics at uniformly random instants on uniformly random online CPUs.

    Picking a random online CPU and asking whether it is missing from the FDT is the
    same draw as comparing a uniform number with the missing fraction. The draws are
    vectorised: ``numpy.searchsorted`` finds each instant's readiness segment. The
    numpy generator is seeded from ``rng`` (itself derived from the run's seed), so
    the estimate is reproducible; its expectation is ``1 - exposure_s / duration``
    for the "dump" statistic.
    """
    if runs <= 0 or not history:
        return MonteCarlo(runs, 0.0, 0.0, wilson_interval(0, runs), wilson_interval(0, runs))
    # the engine's only numpy user: not paid for by `--help`, nor by metrics without draws
    # (the TUI's, several a second: importing it there cost its first paint ~130 ms)
    import numpy as np

    gen = np.random.Generator(np.random.PCG64(rng.getrandbits(128)))
    starts = np.fromiter((r.t0_s for r in history), dtype=float, count=len(history))
    p_no = np.fromiter((r.p_no_dump for r in history), dtype=float, count=len(history))
    complete = np.fromiter((r.p_incomplete == 0.0 for r in history), dtype=bool, count=len(history))
    instants = gen.random(runs) * duration_s
    segment = np.maximum(np.searchsorted(starts, instants, side="right") - 1, 0)
    dumps = gen.random(runs) >= p_no[segment]
    dumped = int(np.count_nonzero(dumps))
    captured = int(np.count_nonzero(dumps & complete[segment]))
    return MonteCarlo(
        runs,
        captured / runs,
        dumped / runs,
        wilson_interval(captured, runs),
        wilson_interval(dumped, runs),
    )
