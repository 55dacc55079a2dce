"""Quantities of a finished run that published measurements are compared with.

Each is read from the trace and the run's metrics, once, here; ``kdump-storm
reproduce`` names them in its case files.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

from engine.run.trace import RecordKind

if TYPE_CHECKING:
    from engine.run.session import Session


class Quantity(StrEnum):
    UDEV_DRAINED_S = "udev_drained_s"
    PROCESSING_S = "processing_s"
    SETTLE_S = "settle_s"
    SCALING_S = "scaling_s"
    RELOADS = "reloads"
    KDUMPCTL_BUSY_S = "kdumpctl_busy_s"
    RELOAD_MEAN_S = "reload_mean_s"
    THROTTLE_WINDOW_MIN_S = "throttle_window_min_s"
    THROTTLE_WINDOW_MAX_S = "throttle_window_max_s"


DOC: dict[Quantity, str] = {
    Quantity.UDEV_DRAINED_S: "first uevent to udev's queue last empty",
    Quantity.PROCESSING_S: "first uevent to the later of udev drained and the last load",
    Quantity.SETTLE_S: "last uevent to the image staying consistent",
    Quantity.SCALING_S: "first to last hotplug action (the resize itself)",
    Quantity.RELOADS: "kdump loads done",
    Quantity.KDUMPCTL_BUSY_S: "time a reload (unload + load, or a load) was running",
    Quantity.RELOAD_MEAN_S: "mean length of one reload",
    Quantity.THROTTLE_WINDOW_MIN_S: "shortest throttler flock -> settle return",
    Quantity.THROTTLE_WINDOW_MAX_S: "longest throttler flock -> settle return",
}
UNIT: dict[Quantity, str] = {q: ("" if q is Quantity.RELOADS else "s") for q in Quantity}


def _kinds(session: Session, *kinds: RecordKind) -> list[tuple[float, str]]:
    wanted = {k.value for k in kinds}
    return [(r.t_s, r.kind) for r in session.records if r.kind in wanted]


def _first_uevent_s(session: Session) -> float:
    first = session.sim.udev.first_event_s
    return 0.0 if first is None else first


def _processing(session: Session) -> float:
    loads = _kinds(session, RecordKind.LOAD_END)
    drained = session.sim.udev.drained_s or 0.0
    last = max([drained, *(t for t, _ in loads)])
    return last - _first_uevent_s(session)


def _scaling(session: Session) -> float:
    times = [
        t
        for t, _ in _kinds(
            session,
            RecordKind.BLOCK_ADD,
            RecordKind.BLOCK_REMOVE,
            RecordKind.CORE_ADD,
            RecordKind.CORE_REMOVE,
        )
    ]
    return max(times) - min(times) if times else 0.0


def _reload_spans(session: Session) -> list[float]:
    """Unload start (or load start, for a load alone) to load end, one per reload."""
    spans: list[float] = []
    start: float | None = None
    for r in session.records:
        if r.kind == RecordKind.UNLOAD_START.value:
            start = r.t_s
        elif r.kind == RecordKind.UNLOAD_END.value and r.detail.get("ok") is False:
            start = None  # EBUSY: nothing loaded
        elif r.kind == RecordKind.LOAD_START.value and start is None:
            start = r.t_s
        elif r.kind == RecordKind.LOAD_END.value and start is not None:
            spans.append(r.t_s - start)
            start = None
    return spans


def _windows(session: Session) -> list[float]:
    out, start = [], None
    for t, kind in _kinds(session, RecordKind.THROTTLER_START, RecordKind.THROTTLER_SETTLE):
        if kind == RecordKind.THROTTLER_START.value:
            start = t
        elif start is not None:
            out.append(t - start)
            start = None
    return out


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def _metric(name: str) -> Callable[[Session], float]:
    def read(session: Session) -> float:
        value = getattr(session.metrics(monte_carlo_runs=0), name)
        return float("nan") if value is None else float(value)

    return read


# a metric is read through Session.metrics (the one owner of those numbers)
MEASURE: dict[Quantity, Callable[[Session], float]] = {
    Quantity.UDEV_DRAINED_S: _metric("udev_drained_s"),
    Quantity.PROCESSING_S: _processing,
    Quantity.SETTLE_S: _metric("settle_s"),
    Quantity.SCALING_S: _scaling,
    Quantity.RELOADS: _metric("reloads"),
    Quantity.KDUMPCTL_BUSY_S: lambda s: sum(_reload_spans(s)),
    Quantity.RELOAD_MEAN_S: lambda s: _mean(_reload_spans(s)),
    Quantity.THROTTLE_WINDOW_MIN_S: lambda s: min(_windows(s), default=0.0),
    Quantity.THROTTLE_WINDOW_MAX_S: lambda s: max(_windows(s), default=0.0),
}


def measure(session: Session, quantity: Quantity) -> float:
    """The model's value of ``quantity`` for a finished run."""
    return MEASURE[quantity](session)
