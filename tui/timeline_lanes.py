"""The race timeline's lanes: trace records and readiness turned into spans and marks.

Pure data, no Textual: ``Lanes.ingest()`` takes new records as they come (never
the whole trace again) and ``Lane.cells()`` lays a lane out on columns of
``spc`` simulated seconds. When several things fall in one column the most
important one (highest ``rank``) wins, so a short unload window stays visible
however far the view is zoomed out.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

Cell = tuple[str, str]
BLANK: Cell = (" ", "")


@dataclass(slots=True, eq=False)
class Span:
    t0_s: float
    t1_s: float | None  # None: still open, drawn up to now
    char: str
    style: str
    rank: int


@dataclass(slots=True)
class Mark:
    t_s: float
    char: str
    style: str
    rank: int


# record kind -> (lane, mark char, style, rank) for point events
MARKS: dict[str, tuple[str, str, str, int]] = {
    "core-add": ("hotplug", "+", "bold green", 3),
    "core-remove": ("hotplug", "−", "bold magenta", 2),
    "block-add": ("hotplug", "▪", "bold blue", 1),
    "block-remove": ("hotplug", "▫", "bold blue", 1),
    "uevent": ("uevent", "•", "cyan", 1),
    "throttler-drop": ("udev", "✗", "bold red", 5),
    "reload-queued": ("reload", "+", "yellow", 1),
    "update-skip": ("kernel", "!", "bold red", 5),
    "update-nospace": ("kernel", "✗", "bold white on red", 6),
}
# opening kind -> (closing kinds, lane, span char, style, rank)
SPANS: dict[str, tuple[tuple[str, ...], str, str, str, int]] = {
    "throttler-start": (("throttler-settle",), "udev", "~", "yellow", 2),
    "unload-start": (("load-end",), "reload", "━", "bold red", 3),
    "lock-taken": (("lock-released",), "reload", "▓", "bold white on red", 4),
    "update-start": (("update-end", "update-nospace"), "kernel", "▆", "bold yellow", 3),
}
CLOSERS: dict[str, list[str]] = {}
for _opener, (_closers, *_rest) in SPANS.items():
    for _closer in _closers:
        CLOSERS.setdefault(_closer, []).append(_opener)

CRASH_MARK: dict[str, tuple[str, str, int]] = {
    "captured": ("✓", "bold green", 1),
    "incomplete": ("◐", "bold yellow", 2),
    "no-dump": ("✗", "bold white on red", 3),
}

# (lane id, gutter label)
LANES: tuple[tuple[str, str], ...] = (
    ("hotplug", "hotplug"),
    ("uevent", "uevents"),
    ("udev", "udev/throt"),
    ("reload", "kdumpctl"),
    ("kernel", "kernel upd"),
    ("readiness", "readiness"),
    ("crash", "crashes"),
)


@dataclass(slots=True)
class Lane:
    """Spans and marks of one lane, kept sorted by start time."""

    name: str
    spans: list[Span] = field(default_factory=list)
    span_t0s: list[float] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    mark_ts: list[float] = field(default_factory=list)
    longest_s: float = 0.0
    open_spans: list[Span] = field(default_factory=list)
    version: int = 0

    def add_span(self, span: Span) -> None:
        self.spans.append(span)
        self.span_t0s.append(span.t0_s)
        if span.t1_s is None:
            self.open_spans.append(span)
        else:
            self.longest_s = max(self.longest_s, span.t1_s - span.t0_s)
        self.version += 1

    def close(self, span: Span, t1_s: float) -> None:
        span.t1_s = t1_s
        self.open_spans.remove(span)
        self.longest_s = max(self.longest_s, t1_s - span.t0_s)
        self.version += 1

    def truncate_spans(self, n: int) -> None:
        removed = self.spans[n:]
        del self.spans[n:]
        del self.span_t0s[n:]
        self.open_spans = [s for s in self.open_spans if not any(s is r for r in removed)]
        self.version += 1

    def add_mark(self, mark: Mark) -> None:
        self.marks.append(mark)
        self.mark_ts.append(mark.t_s)
        self.version += 1

    def cells(self, t_left_s: float, spc: float, width: int, now_s: float) -> list[Cell]:
        """The lane from ``t_left_s``, one cell per ``spc`` seconds, up to ``now_s``."""
        cells: list[Cell] = [BLANK] * width
        ranks = [0] * width
        t_right = t_left_s + width * spc

        def paint(first: int, last: int, char: str, style: str, rank: int) -> None:
            for col in range(max(first, 0), min(last, width)):
                if rank >= ranks[col]:
                    ranks[col] = rank
                    cells[col] = (char, style)

        start = bisect.bisect_left(self.span_t0s, t_left_s - self.longest_s)
        stop = bisect.bisect_right(self.span_t0s, t_right)
        for span in [*self.spans[start:stop], *self.open_spans]:
            t1 = now_s if span.t1_s is None else span.t1_s
            if t1 < t_left_s:
                continue
            first = math.floor((span.t0_s - t_left_s) / spc)
            last = max(math.ceil((t1 - t_left_s) / spc), first + 1)
            paint(first, last, span.char, span.style, span.rank)
        lo = bisect.bisect_left(self.mark_ts, t_left_s)
        hi = bisect.bisect_left(self.mark_ts, t_right)
        for mark in self.marks[lo:hi]:
            col = math.floor((mark.t_s - t_left_s) / spc)
            paint(col, col + 1, mark.char, mark.style, mark.rank)
        return cells


class Lanes:
    """All lanes of one run, fed incrementally from the session."""

    def __init__(self) -> None:
        self.lanes: dict[str, Lane] = {name: Lane(name) for name, _ in LANES}
        self.records_seen = 0
        self.readiness_seen = 0
        self._open: dict[str, list[Span]] = {opener: [] for opener in SPANS}

    def ingest(self, records: Sequence[Any]) -> None:
        """Take the records after the ones already seen (``records`` is the whole trace)."""
        for record in _tail(records, self.records_seen):
            self._ingest_one(record)
        self.records_seen = len(records)

    def _ingest_one(self, record: Any) -> None:
        kind = record.kind
        if kind in MARKS:
            lane, char, style, rank = MARKS[kind]
            self.lanes[lane].add_mark(Mark(record.t_s, char, style, rank))
        if kind in SPANS:
            _, lane, char, style, rank = SPANS[kind]
            span = Span(record.t_s, None, char, style, rank)
            self.lanes[lane].add_span(span)
            self._open[kind].append(span)
        for opener in CLOSERS.get(kind, ()):
            if self._open[opener]:
                span = self._open[opener].pop(0)  # FIFO: these run one after another
                self.lanes[SPANS[opener][1]].close(span, record.t_s)
                break
        if kind == "crash-probe":
            result = str(record.detail.get("result", ""))
            char, style, rank = CRASH_MARK.get(result, ("?", "bold", 1))
            self.lanes["crash"].add_mark(Mark(record.t_s, char, style, rank))

    def ingest_readiness(self, history: Sequence[Any]) -> None:
        """Readiness intervals; the last one seen may have closed since, so it is re-read."""
        lane = self.lanes["readiness"]
        keep = max(self.readiness_seen - 1, 0)
        if (
            len(history) == self.readiness_seen
            and history
            and lane.spans
            and lane.spans[-1].t1_s == history[-1].t1_s
        ):
            return
        lane.truncate_spans(keep)
        for r in _tail(history, keep):
            char, style, rank = readiness_look(r)
            lane.add_span(Span(r.t0_s, r.t1_s, char, style, rank))
        self.readiness_seen = len(history)


def readiness_look(r: Any) -> tuple[str, str, int]:
    """no dump: red (full block when no image at all); incomplete: yellow; captured: green."""
    if r.p_no_dump >= 1.0:
        return "█", "bold red", 3
    if r.p_no_dump > 0.0:
        return "▄", "bold red", 3
    if r.p_incomplete > 0.0:
        return "▒", "bold yellow", 2
    return "─", "green", 1


def _tail(items: Sequence[Any], start: int) -> Iterable[Any]:
    return (items[i] for i in range(start, len(items)))
