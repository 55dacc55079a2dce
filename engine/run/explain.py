"""Facts about a run that a reader asks for, in the engine's words: why a probe was lost
and what ended its window, the no-dump windows, the FDT's provenance, the elfcorehdr's
PT_LOAD ranges against the online memory, and whether a CPU can be crashed on.

The TUI shows these; it derives none of them. Each answer comes from the readiness
history (``Simulation.history``, see ``engine.run.outcomes``), the trace and the
image state, so it is the same fact the metrics and the crash outcomes use.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice

from engine.kexec.image import ImageState
from engine.machine.block_runs import runs_minus
from engine.run.outcomes import Outcome, Readiness, Result
from engine.run.trace import Record
from engine.scenario.events import not_possible_thread

__all__ = ["not_possible_thread"]

# record kinds that change the image or its FDT: what "covers" a lost probe, in the
# order a reader would name them when several land at one instant
COVER_KINDS: tuple[str, ...] = (
    "load-end",
    "update-end",
    "lock-released",
    "update-nospace",
    "unload-end",
    "core-add",
    "core-remove",
    "block-add",
    "block-remove",
)


IMAGE_CAUSES = frozenset({"unloaded", "kexec-locked", "image-null"})  # no image to use at all


@dataclass(frozen=True, slots=True)
class Cover:
    """What ended a probe's window: the record at that instant.

    ``held`` is False when the image came back only for an instant: a load ended and
    the next reload unloaded it at the same simulated time (the readiness history
    keeps no zero-length state), so nothing stayed covered.
    """

    t_s: float
    kind: str | None  # the record kind that ended it (a reload's load-end, update-end...)
    held: bool = True


@dataclass(frozen=True, slots=True)
class ProbeExplanation:
    """One crash probe: where, when, what it gave, why, and what would have covered it."""

    seq: int  # the probe's trace record
    t_s: float
    cpu: int
    result: str
    cause: str | None
    covered_by: Cover | None  # None: the window is still open now (or nothing was lost)

    @property
    def lost(self) -> bool:
        return self.result != Result.CAPTURED.value


@dataclass(frozen=True, slots=True)
class Window:
    """A maximal stretch with ``p_no_dump > 0``; ``t1_s`` is now while still open."""

    t0_s: float
    t1_s: float
    causes: tuple[str, ...]  # in order of appearance
    open: bool


class FdtProvenance(StrEnum):
    """What the bytes in the FDT segment or hole are, right now."""

    LIVE = "live"  # the loaded image's FDT: what a panic now boots with
    LAST_LOAD = "last-load"  # image unloaded: the FDT of the last load, booted by nobody
    BEING_WRITTEN = "being-written"  # a load or an in-kernel update is writing it


PROVENANCE_TEXT: dict[FdtProvenance, str] = {
    FdtProvenance.LIVE: "live: the loaded image's FDT",
    FdtProvenance.LAST_LOAD: "not live: the FDT of the last load (image unloaded)",
    FdtProvenance.BEING_WRITTEN: "not live: the FDT being written (image NULL or loading)",
}


def fdt_provenance(image: ImageState) -> FdtProvenance:
    if image.null or "fdt" in image.busy_segments:
        return FdtProvenance.BEING_WRITTEN
    if not image.loaded:
        return FdtProvenance.LAST_LOAD
    return FdtProvenance.LIVE


def no_dump_windows(history: Sequence[Readiness], now_s: float) -> list[Window]:
    """The no-dump windows of ``history`` (the last segment open up to ``now_s``)."""
    windows: list[Window] = []
    start: float | None = None
    causes: list[str] = []
    for i, seg in enumerate(history):
        end = seg.t1_s if seg.t1_s is not None and i < len(history) - 1 else now_s
        if seg.p_no_dump > 0:
            if start is None:
                start, causes = seg.t0_s, []
            if seg.cause and seg.cause not in causes:
                causes.append(seg.cause)
            if i == len(history) - 1:
                windows.append(Window(start, end, tuple(causes), True))
        elif start is not None:
            windows.append(Window(start, seg.t0_s, tuple(causes), False))
            start = None
    return windows


def _covered(seg: Readiness, outcome: Outcome) -> bool:
    """Would a panic on ``outcome.cpu`` in ``seg`` have given a complete dump?"""
    if seg.cause in IMAGE_CAUSES:
        return False  # no usable image at all
    if seg.loses(outcome.cpu):
        return False
    return seg.p_incomplete == 0.0


def explain_probe(
    outcome: Outcome,
    seq: int,
    history: Sequence[Readiness],
    records: Sequence[Record],
) -> ProbeExplanation:
    """The probe ``outcome`` (trace record ``seq``) with what ended its window."""
    cover: Cover | None = None
    if outcome.result != Result.CAPTURED.value:
        i = max(bisect.bisect_right(history, outcome.t_s, key=_t0_s) - 1, 0)
        for seg in islice(history, i + 1, None):  # no copy of the history per probe
            if _covered(seg, outcome):
                cover = Cover(seg.t0_s, _record_at(records, seg.t0_s, seq))
                break
        momentary = None
        if outcome.cause in IMAGE_CAUSES:  # a load that ends brings an image back
            momentary = _first_after(records, seq, ("load-end", "update-end"))
        if momentary is not None and (cover is None or momentary.t_s < cover.t_s):
            cover = Cover(momentary.t_s, momentary.kind, held=False)
    return ProbeExplanation(seq, outcome.t_s, outcome.cpu, outcome.result, outcome.cause, cover)


def _t0_s(seg: Readiness) -> float:
    return seg.t0_s


def _first_after(records: Sequence[Record], seq: int, kinds: tuple[str, ...]) -> Record | None:
    # record by record from seq on: a slice would build every later record of the run
    for i in range(seq + 1, len(records)):
        record = records[i]
        if record.kind in kinds:
            return record
    return None


def _record_at(records: Sequence[Record], t_s: float, after_seq: int) -> str | None:
    """The kind of the record that made the change at ``t_s`` (by ``COVER_KINDS`` order)."""
    lo = bisect.bisect_left(records, t_s, lo=after_seq, key=lambda r: r.t_s)
    kinds = set()
    for i in range(lo, len(records)):  # the records of that instant only, not a slice
        r = records[i]
        if r.t_s != t_s:
            break
        kinds.add(r.kind)
    return next((k for k in COVER_KINDS if k in kinds), None)


@dataclass(frozen=True, slots=True)
class MemoryCoverage:
    """The elfcorehdr's PT_LOAD ranges against the online memory (``incomplete`` dumps).

    Ranges are ``(start, size_bytes)``; ``missing`` is online memory no PT_LOAD
    lists (lost from the dump), ``extra`` listed memory that is offline now.
    """

    pt_load: tuple[tuple[int, int], ...]
    online: tuple[tuple[int, int], ...]
    missing: tuple[tuple[int, int], ...]
    extra: tuple[tuple[int, int], ...]
    block_bytes: int
    possible_bytes: int

    @property
    def complete(self) -> bool:
        return not self.missing


def memory_coverage(
    pt_load: Sequence[tuple[int, int]],
    online_runs: Sequence[tuple[int, int]],
    header_runs: Sequence[tuple[int, int]],
    block_bytes: int,
    possible_bytes: int,
) -> MemoryCoverage:
    """Online and elfcorehdr memory as block runs (never sets of blocks) -> byte ranges."""
    return MemoryCoverage(
        tuple(pt_load),
        _ranges(runs_minus(online_runs, ()), block_bytes),
        _ranges(runs_minus(online_runs, header_runs), block_bytes),
        _ranges(runs_minus(header_runs, online_runs), block_bytes),
        block_bytes,
        possible_bytes,
    )


def _ranges(runs: Sequence[tuple[int, int]], block_bytes: int) -> tuple[tuple[int, int], ...]:
    return tuple((first * block_bytes, (last - first + 1) * block_bytes) for first, last in runs)


@dataclass(frozen=True, slots=True)
class CrashTarget:
    """Can a panic be injected on ``cpu`` now? ``problem`` says why not (nothing recorded)."""

    cpu: int | str
    problem: str | None
