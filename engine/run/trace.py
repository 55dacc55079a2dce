"""The trace: ordered, typed, timestamped records of one run, and its digest.

A record is either a point event (``Trace.add``) or one end of a span
(``Trace.begin`` / ``Trace.end``): a start record and its end carry the same
``span`` id, the ``seq`` of the start record, so a reader (the TUI's lanes, a
Perfetto export) pairs them without guessing. Which kinds open and close a
span is an engine fact, ``SPAN_ENDS``; how a kind is drawn is the reader's.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO, overload


class RecordKind(StrEnum):
    CORE_ADD = "core-add"
    CORE_REMOVE = "core-remove"
    BLOCK_ADD = "block-add"
    BLOCK_REMOVE = "block-remove"
    UEVENT = "uevent"
    THROTTLER_START = "throttler-start"
    THROTTLER_DROP = "throttler-drop"
    THROTTLER_SETTLE = "throttler-settle"
    RELOAD_QUEUED = "reload-queued"
    UNLOAD_START = "unload-start"
    UNLOAD_END = "unload-end"
    LOAD_START = "load-start"
    LOAD_END = "load-end"
    LOAD_BUILD = "load-build"
    LOCK_TAKEN = "lock-taken"
    LOCK_RELEASED = "lock-released"
    UPDATE_START = "update-start"
    UPDATE_END = "update-end"
    UPDATE_SKIP = "update-skip"
    UPDATE_NOSPACE = "update-nospace"
    CRASH_PROBE = "crash-probe"
    SMT_SWITCH = "smt-switch"
    CRASH_HOTPLUG_READ = "crash-hotplug-read"
    FDT_OVERLAP = "fdt-overlap"


# span start kind -> the kinds that may end it
SPAN_ENDS: Mapping[RecordKind, tuple[RecordKind, ...]] = {
    RecordKind.THROTTLER_START: (RecordKind.THROTTLER_SETTLE,),
    RecordKind.UNLOAD_START: (RecordKind.UNLOAD_END,),
    RecordKind.LOAD_START: (RecordKind.LOAD_END,),
    RecordKind.LOCK_TAKEN: (RecordKind.LOCK_RELEASED,),
    RecordKind.UPDATE_START: (RecordKind.UPDATE_END, RecordKind.UPDATE_NOSPACE),
}
SPAN_STARTS: Mapping[RecordKind, RecordKind] = {
    end: start for start, ends in SPAN_ENDS.items() for end in ends
}


@dataclass(frozen=True, slots=True)
class Record:
    """One thing that happened at simulated time ``t_s``; ``span`` pairs a start with its end."""

    seq: int
    t_s: float
    kind: RecordKind
    detail: Mapping[str, object] = field(default_factory=dict)
    span: int | None = None

    def to_json(self) -> str:
        """One JSON Lines line; keys sorted and time rounded to the nanosecond for stability.

        ``span`` appears only on span records: a point event has none.
        """
        out: dict[str, object] = {
            "seq": self.seq,
            "t_s": round(self.t_s, 9),
            "kind": self.kind.value,
            "detail": dict(self.detail),
        }
        if self.span is not None:
            out["span"] = self.span
        return json.dumps(out, sort_keys=True, separators=(",", ":"))


_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
_quote = json.encoder.encode_basestring_ascii  # what _dumps writes for a str
_SPAN = '"span":'


def _value_json(value: object) -> str:
    """``_dumps(value)``: ints and strs (most detail values) without the encoder."""
    kind = type(value)
    if kind is int:
        return int.__repr__(value)  # type: ignore[arg-type]
    if kind is str:
        return _quote(value)  # type: ignore[arg-type]
    return _dumps(value)


class Trace:
    """Append-only records with a sha256 digest, hashed lazily as it is asked for.

    Stored as columns (issue 10: 64k memory blocks x 5 strategies in 300 MiB): times
    in an ``array('d')``, span ids in an ``array('q')`` (-1: none), each record's
    detail values appended to one flat list (no tuple per record) from the offset
    ``_first[seq]``, its kind and keys one index into a table of the distinct
    (kind, keys) shapes. ``Record`` objects are built when a record is read.
    """

    def __init__(self) -> None:
        self._t = array("d")
        self._span = array("q")
        self._values: list[object] = []  # every record's detail values, in order
        self._first = array("Q")  # where record seq's values start in _values
        self._shape = array("I")  # index of record seq's (kind, keys) in _shapes
        self._shape_of: dict[tuple[object, ...], int] = {}  # (kind, *keys) -> index
        self._shapes: list[tuple[RecordKind, tuple[str, ...]]] = []
        # per shape: ("key": text and value index, in sorted key order; the kind's text)
        self._line_layouts: dict[int, tuple[list[tuple[str, int]], str]] = {}
        self._digest = hashlib.sha256()
        self._hashed = 0  # records already fed to the digest (when one was asked for)
        self._open: dict[int, RecordKind] = {}  # span id -> its start kind

    def add(self, t_s: float, kind: RecordKind, **detail: object) -> int:
        """A point event (a span's ends go through ``begin`` and ``end``); its seq."""
        if kind in SPAN_ENDS or kind in SPAN_STARTS:
            raise ValueError(f"{kind} is one end of a span: use begin() / end()")
        return self._append(t_s, kind, detail, None)

    def begin(self, t_s: float, kind: RecordKind, **detail: object) -> int:
        """Open a span with a ``kind`` start record; returns its id for ``end``."""
        if kind not in SPAN_ENDS:
            raise ValueError(f"{kind} does not start a span")
        seq = len(self._t)
        self._open[seq] = kind
        self._append(t_s, kind, detail, seq)
        return seq

    def end(self, t_s: float, kind: RecordKind, span: int, **detail: object) -> int:
        """Close span ``span`` with a ``kind`` end record; its seq (``record(seq)`` reads it)."""
        start = self._open.get(span)
        if start is None:
            raise ValueError(f"span {span} is not open")
        if kind not in SPAN_ENDS[start]:
            raise ValueError(f"{kind} does not end a {start} span")
        del self._open[span]
        return self._append(t_s, kind, detail, span)

    def open_spans(self) -> Mapping[int, RecordKind]:
        """Spans begun and not yet ended, by id."""
        return dict(self._open)

    def _append(
        self, t_s: float, kind: RecordKind, detail: dict[str, object], span: int | None
    ) -> int:
        # no Record is built here: the columns are the trace, readers build theirs
        seq = len(self._t)
        key = (kind, *detail)
        shape = self._shape_of.get(key)
        if shape is None:
            shape = self._shape_of[key] = len(self._shapes)
            self._shapes.append((kind, tuple(detail)))
        self._t.append(t_s)
        self._span.append(-1 if span is None else span)
        self._first.append(len(self._values))
        self._shape.append(shape)
        self._values.extend(detail.values())
        return seq

    def record(self, seq: int) -> Record:
        """The record at ``seq``, built from the columns."""
        kind, keys = self._shapes[self._shape[seq]]
        first = self._first[seq]
        detail = dict(zip(keys, self._values[first : first + len(keys)], strict=True))
        span = self._span[seq]
        return Record(seq, self._t[seq], kind, detail, None if span < 0 else span)

    def seqs_of(self, kinds: Collection[str]) -> list[int]:
        """The seqs of every record of ``kinds``, found in the shape column (no Record
        is built for the others: a verdict asks for the probes of a whole run)."""
        shapes = {i for i, (kind, _) in enumerate(self._shapes) if kind in kinds}
        return [seq for seq, shape in enumerate(self._shape) if shape in shapes]

    @property
    def records(self) -> Sequence[Record]:
        return _ReadOnly(self)

    def since(self, first: int) -> Sequence[Record]:
        """Records ``first`` up to now, as a fixed view built when read."""
        return _ReadOnly(self, first, len(self._t))

    def __len__(self) -> int:
        return len(self._t)

    def prefix(self) -> TracePrefix:
        """The records so far, as a fixed prefix (``TracePrefix.digest()`` when asked)."""
        return TracePrefix(self, len(self._t))

    def digest(self, records: int | None = None) -> str:
        """sha256 of the JSON Lines export of the first ``records`` records (all so far).

        The lines not hashed yet are written straight from the columns
        (``_json_line``: the very text of ``Record.to_json``) and hashed in one
        update; building a ``Record`` and a dict per line cost most of a metrics
        call (issue 11c). A prefix shorter than what is already hashed (an older
        ``Metrics`` read after a newer one) is hashed afresh.
        """
        end = len(self._t) if records is None else records
        if end < self._hashed:
            return hashlib.sha256(self._lines(0, end).encode()).hexdigest()
        if end > self._hashed:
            self._digest.update(self._lines(self._hashed, end).encode())
            self._hashed = end
        return self._digest.hexdigest()

    def _lines(self, first: int, end: int) -> str:
        return "".join([self._json_line(seq) + "\n" for seq in range(first, end)])

    def _json_line(self, seq: int) -> str:
        """``self.record(seq).to_json()``, without the Record: keys sorted (detail,
        kind, seq, span, t_s), ``to_json``'s separators, each value as ``json`` writes
        it; the shape's sorted keys and their ``"key":`` text are made once."""
        shape = self._shape[seq]
        layout = self._line_layouts.get(shape)
        if layout is None:
            kind, keys = self._shapes[shape]
            order = sorted(range(len(keys)), key=keys.__getitem__)
            layout = self._line_layouts[shape] = (
                [(f"{_quote(keys[i])}:", i) for i in order],
                f'}},"kind":{_quote(kind.value)},"seq":',
            )
        fields, kind_part = layout
        first = self._first[seq]
        values = self._values
        detail = ",".join([key + _value_json(values[first + i]) for key, i in fields])
        span = self._span[seq]
        t_s = float.__repr__(round(self._t[seq], 9))  # json's text of a finite float
        return (
            f'{{"detail":{{{detail}{kind_part}{seq}'
            f'{"" if span < 0 else f",{_SPAN}{span}"},"t_s":{t_s}}}'
        )

    def write_jsonl(self, out: IO[str]) -> None:
        for seq in range(len(self._t)):
            out.write(self._json_line(seq))
            out.write("\n")


@dataclass(frozen=True, slots=True)
class TracePrefix:
    """A trace's first ``records`` records (the trace only grows): its digest is hashed
    when read, so a reader that never reads it (the TUI's metrics) never pays it."""

    trace: Trace = field(repr=False)  # compared by identity (Trace has no __eq__)
    records: int

    def digest(self) -> str:
        return self.trace.digest(self.records)


class _ReadOnly(Sequence[Record]):
    """A live read-only view of the trace (no copy per frame; records built on reading)."""

    __slots__ = ("_trace", "_first", "_stop")

    def __init__(self, trace: Trace, first: int = 0, stop: int | None = None) -> None:
        self._trace = trace
        self._first = first
        self._stop = stop  # None: live, up to the trace's end

    def __len__(self) -> int:
        stop = len(self._trace) if self._stop is None else self._stop
        return stop - self._first

    @overload
    def __getitem__(self, index: int) -> Record: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Record]: ...
    def __getitem__(self, index: int | slice) -> Record | Sequence[Record]:
        trace, first, n = self._trace, self._first, len(self)
        if isinstance(index, slice):
            return [trace.record(first + i) for i in range(*index.indices(n))]
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("trace record index out of range")
        return trace.record(first + index)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]
