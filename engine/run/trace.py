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
from collections.abc import Mapping, Sequence
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


class Trace:
    """Append-only list of records with a sha256 digest, hashed lazily as it is asked for."""

    def __init__(self) -> None:
        self._records: list[Record] = []
        self._digest = hashlib.sha256()
        self._hashed = 0  # records already fed to the digest
        self._open: dict[int, RecordKind] = {}  # span id -> its start kind

    def add(self, t_s: float, kind: RecordKind, **detail: object) -> Record:
        """A point event (a span's ends go through ``begin`` and ``end``)."""
        if kind in SPAN_ENDS or kind in SPAN_STARTS:
            raise ValueError(f"{kind} is one end of a span: use begin() / end()")
        return self._append(t_s, kind, detail, None)

    def begin(self, t_s: float, kind: RecordKind, **detail: object) -> int:
        """Open a span with a ``kind`` start record; returns its id for ``end``."""
        if kind not in SPAN_ENDS:
            raise ValueError(f"{kind} does not start a span")
        seq = len(self._records)
        self._open[seq] = kind
        self._append(t_s, kind, detail, seq)
        return seq

    def end(self, t_s: float, kind: RecordKind, span: int, **detail: object) -> Record:
        """Close span ``span`` with a ``kind`` end record."""
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
        self, t_s: float, kind: RecordKind, detail: Mapping[str, object], span: int | None
    ) -> Record:
        record = Record(len(self._records), t_s, kind, detail, span)
        self._records.append(record)
        return record

    @property
    def records(self) -> Sequence[Record]:
        return _ReadOnly(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def digest(self) -> str:
        """sha256 of the JSON Lines export of every record so far."""
        for record in self._records[self._hashed :]:
            self._digest.update(record.to_json().encode())
            self._digest.update(b"\n")
        self._hashed = len(self._records)
        return self._digest.hexdigest()

    def write_jsonl(self, out: IO[str]) -> None:
        for record in self._records:
            out.write(record.to_json())
            out.write("\n")


class _ReadOnly(Sequence[Record]):
    """A live read-only view of the trace's list (no copy per frame)."""

    __slots__ = ("_items",)

    def __init__(self, items: list[Record]) -> None:
        self._items = items

    @overload
    def __getitem__(self, index: int) -> Record: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Record]: ...
    def __getitem__(self, index: int | slice) -> Record | Sequence[Record]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)
