"""Running totals of a readiness history, folded once per segment: metrics in O(new).

``Simulation.refresh()`` only ever changes the last two segments of its history
(it pops a segment that lasted no time, at most one, and may reopen the one before
it), so every earlier segment is final. ``HistoryTotals`` folds final segments once
and the last two again on each read: the TUI asks for metrics several times a
second, and a 64k-block storm's history holds tens of thousands of segments.
The sums are taken in history order either way, so the figures are the very floats
a single pass over the closed history gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import islice

from engine.run.outcomes import Cause, Readiness


@dataclass
class Totals:
    """Sums over segments: exposure, at risk, incomplete, and the no-dump windows."""

    exposure_s: float = 0.0
    at_risk_s: float = 0.0
    incomplete_s: float = 0.0
    windows: int = 0
    longest_s: float = 0.0
    window_total_s: float = 0.0
    by_cause: dict[Cause, float] = field(default_factory=dict)
    _current_s: float = 0.0  # the window in progress so far
    _in_window: bool = False

    def add(self, seg: Readiness) -> None:
        length = seg.length_s
        self.exposure_s += seg.exposure_s
        if seg.p_incomplete > 0:
            self.incomplete_s += length
        if seg.p_no_dump > 0:
            self.at_risk_s += length
            if not self._in_window:
                self.windows += 1
                self._in_window = True
                self._current_s = 0.0
            self._current_s += length
            self.window_total_s += length
            if seg.cause:
                self.by_cause[seg.cause] = self.by_cause.get(seg.cause, 0.0) + length
            self.longest_s = max(self.longest_s, self._current_s)
        else:
            self._in_window = False

    def copy(self) -> Totals:
        return replace(self, by_cause=dict(self.by_cause))


class HistoryTotals:
    """``Totals`` of one growing history, its final segments folded once."""

    def __init__(self) -> None:
        self._final = Totals()
        self._done = 0  # segments folded into _final

    def of(self, history: Sequence[Readiness], now_s: float) -> Totals:
        """Totals of ``history`` with its last segment closed at ``now_s``."""
        final = len(history) - 2  # refresh() may still change the last two
        if final > self._done:
            for seg in islice(history, self._done, final):
                self._final.add(seg)
            self._done = final
        totals = self._final.copy()
        if history:
            for seg in islice(history, self._done, len(history) - 1):
                totals.add(seg)
            totals.add(history[-1].closed(now_s))
        return totals
