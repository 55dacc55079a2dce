"""The trace: ordered, typed, timestamped records of one run, and its digest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO


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


LANE_OF: dict[RecordKind, str] = {
    RecordKind.CORE_ADD: "hotplug",
    RecordKind.CORE_REMOVE: "hotplug",
    RecordKind.BLOCK_ADD: "hotplug",
    RecordKind.BLOCK_REMOVE: "hotplug",
    RecordKind.UEVENT: "uevent",
    RecordKind.THROTTLER_START: "udev",
    RecordKind.THROTTLER_DROP: "udev",
    RecordKind.THROTTLER_SETTLE: "udev",
    RecordKind.RELOAD_QUEUED: "reload",
    RecordKind.UNLOAD_START: "reload",
    RecordKind.UNLOAD_END: "reload",
    RecordKind.LOAD_START: "reload",
    RecordKind.LOAD_END: "reload",
    RecordKind.LOCK_TAKEN: "reload",
    RecordKind.LOCK_RELEASED: "reload",
    RecordKind.UPDATE_START: "kernel",
    RecordKind.UPDATE_END: "kernel",
    RecordKind.UPDATE_SKIP: "kernel",
    RecordKind.UPDATE_NOSPACE: "kernel",
    RecordKind.CRASH_PROBE: "crash",
    RecordKind.LOAD_BUILD: "reload",
    RecordKind.SMT_SWITCH: "hotplug",
    RecordKind.CRASH_HOTPLUG_READ: "udev",
    RecordKind.FDT_OVERLAP: "kernel",
}


@dataclass(frozen=True, slots=True)
class Record:
    """One thing that happened at simulated time ``t_s``."""

    seq: int
    t_s: float
    kind: str
    lane: str
    detail: Mapping[str, object] = field(default_factory=dict)

    def to_json(self) -> str:
        """One JSON Lines line; keys sorted and time rounded to the nanosecond for stability."""
        return json.dumps(
            {
                "seq": self.seq,
                "t_s": round(self.t_s, 9),
                "kind": self.kind,
                "lane": self.lane,
                "detail": dict(self.detail),
            },
            sort_keys=True,
            separators=(",", ":"),
        )


class Trace:
    """Append-only list of records with a sha256 digest, hashed lazily as it is asked for."""

    def __init__(self) -> None:
        self._records: list[Record] = []
        self._digest = hashlib.sha256()
        self._hashed = 0  # records already fed to the digest

    def add(self, t_s: float, kind: RecordKind, **detail: object) -> Record:
        record = Record(len(self._records), t_s, kind.value, LANE_OF[kind], detail)
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

    def __getitem__(self, index):  # type: ignore[override]
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)
