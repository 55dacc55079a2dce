"""A run as a Perfetto trace: the Trace Event JSON format, which ui.perfetto.dev opens.

Format: "Trace Event Format" (the Chrome/catapult JSON that Perfetto imports):
``{"traceEvents": [...]}`` with ``ph`` "X" complete slices (``ts``/``dur`` in
microseconds), "i" instants, "C" counters and "M" metadata naming processes
and threads. We write it with ``json`` rather than the ``perfetto`` package's
protobuf ``TraceProtoBuilder``: JSON needs no dependency, diffs and greps, and
Perfetto's UI and trace processor read it directly.

Layout: one process per strategy; one thread (a *track*) per lane of the race
(``TRACKS``). Spans are slices, paired by the span id the engine puts on both
ends of a span (``Record.span``): nothing here pairs a start and an end by
order or time. Which record goes on which track is this exporter's choice of
presentation, one entry per ``RecordKind`` in ``TRACK_OF``; the TUI lays out
its own lanes. Readiness windows come from the readiness history (each
segment with ``p_no_dump > 0`` is a "no dump" slice naming its cause), the
counters from the exposure series and the hole's fill.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Protocol

from engine.run.outcomes import Readiness
from engine.run.run_meta import RunMeta
from engine.run.trace import Record, RecordKind

TRACKS = (
    "hotplug",
    "uevents",
    "udev settle",
    "throttler",
    "kdumpctl",
    "kexec lock",
    "kernel updates",
    "readiness",
    "crash probes",
)
TRACK_OF: Mapping[RecordKind, str] = {
    RecordKind.CORE_ADD: "hotplug",
    RecordKind.CORE_REMOVE: "hotplug",
    RecordKind.BLOCK_ADD: "hotplug",
    RecordKind.BLOCK_REMOVE: "hotplug",
    RecordKind.UEVENT: "uevents",
    RecordKind.THROTTLER_START: "throttler",
    RecordKind.THROTTLER_DROP: "throttler",
    RecordKind.THROTTLER_SETTLE: "throttler",
    RecordKind.RELOAD_QUEUED: "kdumpctl",
    RecordKind.UNLOAD_START: "kdumpctl",
    RecordKind.UNLOAD_END: "kdumpctl",
    RecordKind.LOAD_START: "kdumpctl",
    RecordKind.LOAD_END: "kdumpctl",
    RecordKind.LOCK_TAKEN: "kexec lock",
    RecordKind.LOCK_RELEASED: "kexec lock",
    RecordKind.UPDATE_START: "kernel updates",
    RecordKind.UPDATE_END: "kernel updates",
    RecordKind.UPDATE_SKIP: "kernel updates",
    RecordKind.UPDATE_NOSPACE: "kernel updates",
    RecordKind.CRASH_PROBE: "crash probes",
    RecordKind.LOAD_BUILD: "kdumpctl",
    RecordKind.SMT_SWITCH: "hotplug",
    RecordKind.CRASH_HOTPLUG_READ: "throttler",
    RecordKind.FDT_OVERLAP: "kernel updates",
}
# a span's slice is named for what it is, not for its start record
SETTLE_TRACK = "udev settle"  # the throttler's `udevadm settle`, from its settle record
SLICE_NAME: Mapping[RecordKind, str] = {
    RecordKind.THROTTLER_START: "throttler: sleep, settle",
    RecordKind.UNLOAD_START: "unload",
    RecordKind.LOAD_START: "load",
    RecordKind.LOCK_TAKEN: "kexec lock",
    RecordKind.UPDATE_START: "kernel update",
}
RELOAD_SLICE = "kdumpctl reload"
EXPOSURE_COUNTER = "exposure_s (cumulative)"
HOLE_COUNTER = "FDT hole used bytes"


class PerfettoRun(Protocol):
    """What the export reads from a session (``engine.run.session.Session`` has it)."""

    @property
    def strategy(self) -> str: ...
    @property
    def records(self) -> Sequence[Record]: ...
    def readiness_history(self) -> Sequence[Readiness]: ...
    def exposure_series(self) -> list[tuple[float, float]]: ...
    def hole_fill_series(self) -> Sequence[tuple[float, int]]: ...


def _us(t_s: float) -> float:
    return round(t_s * 1e6, 3)  # microseconds, to the nanosecond like the JSONL trace


def _args(detail: Mapping[str, object]) -> dict[str, object]:
    return {
        k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
        for k, v in detail.items()
    }


def _instant_name(record: Record) -> str:
    d = record.detail
    kind = RecordKind(record.kind)
    if kind is RecordKind.UEVENT:
        return f"{d.get('subsystem')} {d.get('action')} {d.get('id')}"
    if kind is RecordKind.CRASH_PROBE:
        cause = f" ({d['cause']})" if d.get("cause") else ""
        return f"panic on cpu {d.get('cpu')}: {d.get('result')}{cause}"
    return kind.value


def _reload_slice(pid: int, track: int, unload: Record, load_end: Record) -> dict[str, object]:
    """One ``kdumpctl reload``: from its unload's start to its load's end (paired by span id)."""
    return {
        "ph": "X",
        "name": RELOAD_SLICE,
        "cat": "reload",
        "pid": pid,
        "tid": track,
        "ts": _us(unload.t_s),
        "dur": _us(load_end.t_s - unload.t_s),
        "args": {"unload_span": unload.seq, "load_span": load_end.span, **_args(load_end.detail)},
    }


def process_events(pid: int, run: PerfettoRun) -> list[dict[str, object]]:
    """Every event of one strategy's run, on its own process ``pid``."""
    tid = {name: i + 1 for i, name in enumerate(TRACKS)}
    events: list[dict[str, object]] = [
        {"ph": "M", "name": "process_name", "pid": pid, "args": {"name": run.strategy}},
        {"ph": "M", "name": "process_sort_index", "pid": pid, "args": {"sort_index": pid}},
    ]
    for name, t in tid.items():
        events.append(
            {"ph": "M", "name": "thread_name", "pid": pid, "tid": t, "args": {"name": name}}
        )
        events.append(
            {
                "ph": "M",
                "name": "thread_sort_index",
                "pid": pid,
                "tid": t,
                "args": {"sort_index": t},
            }
        )
    starts: dict[int, Record] = {}
    unloads: dict[int, Record] = {}  # unload starts, for the reload their load completes
    for record in run.records:
        kind = RecordKind(record.kind)
        track = tid[TRACK_OF[kind]]
        if record.span is not None and record.span == record.seq:
            starts[record.seq] = record  # a span opens: drawn when it closes
            continue
        if record.span is not None:
            start = starts.pop(record.span)
            begin_kind = RecordKind(start.kind)
            if begin_kind is RecordKind.UNLOAD_START:
                unloads[start.seq] = start
            unload_span = start.detail.get("unload_span")
            if begin_kind is RecordKind.LOAD_START and isinstance(unload_span, int):
                events.append(_reload_slice(pid, track, unloads.pop(unload_span), record))
            events.append(
                {
                    "ph": "X",
                    "name": SLICE_NAME.get(begin_kind, begin_kind.value),
                    "cat": begin_kind.value,
                    "pid": pid,
                    "tid": track,
                    "ts": _us(start.t_s),
                    "dur": _us(record.t_s - start.t_s),
                    "args": {
                        "span": record.span,
                        "end": kind.value,
                        **_args(start.detail),
                        **_args(record.detail),
                    },
                }
            )
            if kind is RecordKind.THROTTLER_SETTLE:
                waited = float(record.detail.get("waited_s", 0.0))  # type: ignore[arg-type]
                events.append(
                    {
                        "ph": "X",
                        "name": "udevadm settle",
                        "cat": kind.value,
                        "pid": pid,
                        "tid": tid[SETTLE_TRACK],
                        "ts": _us(record.t_s - waited),
                        "dur": _us(waited),
                        "args": {"span": record.span, **_args(record.detail)},
                    }
                )
            continue
        events.append(
            {
                "ph": "i",
                "s": "t",
                "name": _instant_name(record),
                "cat": kind.value,
                "pid": pid,
                "tid": track,
                "ts": _us(record.t_s),
                "args": {"seq": record.seq, **_args(record.detail)},
            }
        )
    for start in starts.values():  # still open when the run ended: drawn to the end
        kind = RecordKind(start.kind)
        events.append(
            {
                "ph": "B",
                "name": SLICE_NAME.get(kind, kind.value),
                "cat": kind.value,
                "pid": pid,
                "tid": tid[TRACK_OF[kind]],
                "ts": _us(start.t_s),
                "args": {"span": start.span, "open at the end": True, **_args(start.detail)},
            }
        )
    events.extend(_readiness(pid, tid["readiness"], run.readiness_history()))
    for t_s, total in run.exposure_series():
        events.append(
            {
                "ph": "C",
                "name": EXPOSURE_COUNTER,
                "pid": pid,
                "ts": _us(t_s),
                "args": {"exposure_s": round(total, 9)},
            }
        )
    for t_s, used in run.hole_fill_series():
        events.append(
            {
                "ph": "C",
                "name": HOLE_COUNTER,
                "pid": pid,
                "ts": _us(t_s),
                "args": {"used_bytes": used},
            }
        )
    return events


def _readiness(pid: int, track: int, history: Sequence[Readiness]) -> list[dict[str, object]]:
    """A slice per segment in which a panic may get no dump, or an incomplete one."""
    out: list[dict[str, object]] = []
    for seg in history:
        end = seg.t0_s if seg.t1_s is None else seg.t1_s
        if end <= seg.t0_s or (seg.p_no_dump <= 0 and seg.p_incomplete <= 0):
            continue
        cause = None if seg.cause is None else str(seg.cause)
        name = f"no dump: {cause}" if seg.p_no_dump > 0 else "incomplete dump"
        out.append(
            {
                "ph": "X",
                "name": name,
                "cat": "readiness",
                "pid": pid,
                "tid": track,
                "ts": _us(seg.t0_s),
                "dur": _us(end - seg.t0_s),
                "args": {
                    "p_no_dump": seg.p_no_dump,
                    "p_incomplete": seg.p_incomplete,
                    "cause": cause,
                    "missing_threads": len(seg.missing_threads),
                },
            }
        )
    return out


def perfetto_json(meta: RunMeta, runs: Sequence[PerfettoRun]) -> bytes:
    """The whole export: every run as one process, the run's metadata in ``metadata``."""
    events: list[dict[str, object]] = []
    for pid, run in enumerate(runs, start=1):
        events.extend(process_events(pid, run))
    doc = {"traceEvents": events, "displayTimeUnit": "ms", "metadata": meta.as_dict()}
    return (json.dumps(doc, separators=(",", ":"), sort_keys=True) + "\n").encode()
