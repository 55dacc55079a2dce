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

from tui import legend
from tui.engine_link import Readiness, Record

Cell = tuple[str, str]
BLANK: Cell = (" ", "")
EPS = 1e-9  # in columns: a time on a column boundary falls in the later column


def column(t_s: float, spc: float) -> int:
    """The column of ``t_s`` from t = 0 at ``spc`` seconds per column (the cursor's too)."""
    return math.floor(t_s / spc + EPS)


@dataclass(slots=True, eq=False)
class Span:
    t0_s: float
    t1_s: float | None  # None: still open, drawn up to now
    char: str
    style: str
    rank: int
    index: int = -1  # its place in its lane's ``spans``


@dataclass(slots=True)
class Mark:
    t_s: float
    char: str
    style: str
    rank: int


# the glyphs are tui.legend's; these are its tables in the shape the lanes read
MARKS: dict[str, tuple[str, str, str, int]] = {
    kind: (lane, g.char, g.style, g.rank) for kind, (lane, g) in legend.MARKS.items()
}
# span start kind -> (lane, span char, style, rank); the end shares the start's span id
SPANS: dict[str, tuple[str, str, str, int]] = {
    kind: (lane, g.char, g.style, g.rank) for kind, (lane, g) in legend.SPANS.items()
}

LANES = legend.LANES


@dataclass(slots=True)
class Lane:
    """Spans and marks of one lane, kept sorted by start time.

    ``cells()`` keeps its last layout: when the view is the same, only the columns
    from the earliest change on (``dirty_from_s``, or the last drawn now while a
    span is open) are painted again.
    """

    name: str
    spans: list[Span] = field(default_factory=list)
    span_t0s: list[float] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    mark_ts: list[float] = field(default_factory=list)
    # reach[i]: the latest end of the closed spans among spans[0..i] (open ones count as
    # -inf: they are painted from open_spans). Non-decreasing, so the first span that
    # can reach a column is a bisection away, however long the spans before it were
    reach: list[float] = field(default_factory=list)
    open_spans: list[Span] = field(default_factory=list)
    version: int = 0
    dirty_from_s: float | None = None  # earliest time changed since the last cells()
    _view: tuple[float, float, int] | None = None
    _cells: list[Cell] = field(default_factory=list)
    _ranks: list[int] = field(default_factory=list)
    _drawn_now_s: float = 0.0
    painted_from: int = 0  # the first column the last cells() painted again

    def _changed(self, t_s: float) -> None:
        self.version += 1
        if self.dirty_from_s is None or t_s < self.dirty_from_s:
            self.dirty_from_s = t_s

    def add_span(self, span: Span) -> None:
        span.index = len(self.spans)
        self.spans.append(span)
        self.span_t0s.append(span.t0_s)
        before = self.reach[-1] if self.reach else -math.inf
        if span.t1_s is None:
            self.open_spans.append(span)
            self.reach.append(before)
        else:
            self.reach.append(max(before, span.t1_s))
        self._changed(span.t0_s)

    def close(self, span: Span, t1_s: float) -> None:
        span.t1_s = t1_s
        self.open_spans.remove(span)
        reach = self.reach
        for i in range(span.index, len(reach)):  # spans close mostly in order: a few steps
            if reach[i] >= t1_s:
                break
            reach[i] = t1_s
        self._changed(span.t0_s)

    def truncate_spans(self, n: int) -> None:
        removed = self.spans[n:]
        if not removed:
            return
        del self.spans[n:]
        del self.span_t0s[n:]
        del self.reach[n:]
        self.open_spans = [s for s in self.open_spans if s.index < n]
        self._changed(removed[0].t0_s)

    def add_mark(self, mark: Mark) -> None:
        self.marks.append(mark)
        self.mark_ts.append(mark.t_s)
        self._changed(mark.t_s)

    def cells(self, t_left_s: float, spc: float, width: int, now_s: float) -> list[Cell]:
        """The lane from ``t_left_s``, one cell per ``spc`` seconds, up to ``now_s``."""
        base = round(t_left_s / spc)  # whole columns: the same grid as the cursor's
        view = (t_left_s, spc, width)
        if view != self._view:
            self._view = view
            self._cells = [BLANK] * width
            self._ranks = [0] * width
            first_col = 0
        else:
            first_col = width
            if self.dirty_from_s is not None:
                first_col = column(self.dirty_from_s, spc) - base
            if self.open_spans:
                first_col = min(first_col, column(self._drawn_now_s, spc) - base)
            first_col = max(first_col, 0)
            self._cells[first_col:] = [BLANK] * (width - first_col)
            self._ranks[first_col:] = [0] * (width - first_col)
        self.dirty_from_s = None
        self._drawn_now_s = now_s
        self.painted_from = first_col
        if first_col < width:
            self._paint(first_col, base, spc, width, now_s)
        return list(self._cells)

    def _paint(self, first_col: int, base: int, spc: float, width: int, now_s: float) -> None:
        """Paint columns ``first_col`` .. ``width``; the highest rank wins a column.

        One column can hold hundreds of readiness segments at x1000, so the loop is
        written out flat (the same arithmetic as ``column()``).
        """
        cells, ranks = self._cells, self._ranks
        floor, ceil = math.floor, math.ceil

        def paint(first: int, last: int, char: str, style: str, rank: int) -> None:
            lo = first if first > first_col else first_col
            hi = last if last < width else width
            for col in range(lo, hi):
                if rank >= ranks[col]:
                    ranks[col] = rank
                    cells[col] = (char, style)

        t_from = (base + first_col - 1) * spc  # a column early: boundaries round up
        t_right = (base + width) * spc
        start = bisect.bisect_left(self.reach, t_from)  # before it: all ended before t_from
        stop = bisect.bisect_right(self.span_t0s, t_right)
        now_last = floor(now_s / spc + EPS) - base + 1
        for span in [*self.spans[start:stop], *self.open_spans]:
            t1 = span.t1_s
            first = floor(span.t0_s / spc + EPS) - base
            if t1 is None:  # open: up to and including now's column
                last = now_last
            elif t1 < t_from:
                continue
            else:
                last = ceil(t1 / spc - EPS) - base
            if last <= first:
                last = first + 1
            if last - first == 1:  # most spans: one column
                if first_col <= first < width and span.rank >= ranks[first]:
                    ranks[first] = span.rank
                    cells[first] = (span.char, span.style)
                continue
            paint(first, last, span.char, span.style, span.rank)
        lo = bisect.bisect_left(self.mark_ts, t_from)
        hi = bisect.bisect_left(self.mark_ts, t_right)
        for mark in self.marks[lo:hi]:
            col = column(mark.t_s, spc) - base
            paint(col, col + 1, mark.char, mark.style, mark.rank)


class Lanes:
    """All lanes of one run, fed incrementally from the session."""

    def __init__(self) -> None:
        self.lanes: dict[str, Lane] = {name: Lane(name) for name, _ in LANES}
        self.records_seen = 0
        self.readiness_seen = 0
        self._open: dict[int, tuple[Lane, Span]] = {}  # span id -> its lane and bar

    def ingest(self, records: Sequence[Record]) -> None:
        """Take the records after the ones already seen (``records`` is the whole trace)."""
        for record in _tail(records, self.records_seen):
            self._ingest_one(record)
        self.records_seen = len(records)

    def _ingest_one(self, record: Record) -> None:
        kind = record.kind
        if kind in MARKS:
            lane_name, char, style, rank = MARKS[kind]
            self.lanes[lane_name].add_mark(Mark(record.t_s, char, style, rank))
        if record.span is not None:
            if kind in SPANS:
                lane_name, char, style, rank = SPANS[kind]
                span = Span(record.t_s, None, char, style, rank)
                self.lanes[lane_name].add_span(span)
                self._open[record.span] = (self.lanes[lane_name], span)
            elif record.span in self._open:  # the end of a span drawn here
                lane, bar = self._open.pop(record.span)
                lane.close(bar, record.t_s)
        if kind == "crash-probe":
            cause = record.detail.get("cause")
            result = str(record.detail.get("result", ""))
            g = legend.probe_glyph(result, str(cause) if cause is not None else None)
            self.lanes["crash"].add_mark(Mark(record.t_s, g.char, g.style, g.rank))

    @property
    def readiness_resume(self) -> int:
        """Index of the first readiness segment to read next: the current one may have ended."""
        return max(self.readiness_seen - 1, 0)

    def ingest_readiness(self, segments: Sequence[Readiness], first: int = 0) -> None:
        """Readiness segments ``first``, ``first + 1``, ... (``Session.readiness_since(first)``).

        The last one is the current segment, drawn open up to now: a frame that only
        moves the clock changes nothing here.
        """
        if not segments:
            return
        lane = self.lanes["readiness"]
        total = first + len(segments)
        current = segments[-1]
        if (
            total == self.readiness_seen
            and lane.spans
            and lane.spans[-1].t1_s is None
            and lane.spans[-1].t0_s == current.t0_s
            and (lane.spans[-1].char, lane.spans[-1].style) == readiness_look(current)[:2]
        ):
            return
        lane.truncate_spans(first)
        for i, r in enumerate(segments):
            char, style, rank = readiness_look(r)
            t1_s = None if i == len(segments) - 1 else r.t1_s
            lane.add_span(Span(r.t0_s, t1_s, char, style, rank))
        self.readiness_seen = total


def readiness_look(r: Readiness) -> tuple[str, str, int]:
    """A segment's own look; ``RaceTimeline`` then shades each column by its share of time
    with no dump (``Session.exposure_between``), so the height is the same at any zoom."""
    if r.p_no_dump > 0.0:
        return legend.NO_DUMP_LEVELS[-1], legend.NO_DUMP.style, legend.NO_DUMP.rank
    if r.p_incomplete > 0.0:
        return legend.INCOMPLETE.char, legend.INCOMPLETE.style, legend.INCOMPLETE.rank
    return legend.READY.char, legend.READY.style, legend.READY.rank


def _tail(items: Sequence[Record], start: int) -> Iterable[Record]:
    return (items[i] for i in range(start, len(items)))
