"""The [udev] table: systemd-udevd's workers, PID 1 and the udev-reload rule form."""

from __future__ import annotations

from typing import Any

from engine.scenario.model import RELOAD_RULES, UdevSpec
from engine.scenario.reader import Reader, to_choice, to_positive_int
from engine.units import parse_duration

UDEV_KEYS = ("children_max", "event", "pid1", "throttler_exec", "reload_rule")
WORKER_NUM_MAX = 2048  # systemd src/udev/udev-def.h: the ceiling of children_max


def _children_max(value: object) -> int | None:
    if value == "auto":
        return None
    n = to_positive_int(value)
    if n > WORKER_NUM_MAX:
        raise ValueError(f"udevd caps children_max at {WORKER_NUM_MAX} (WORKER_NUM_MAX), got {n}")
    return n


def read_udev(r: Reader, data: dict[str, Any]) -> UdevSpec:
    w = "udev"
    u = r.table(data.get(w), w, UDEV_KEYS)
    d = UdevSpec()
    return UdevSpec(
        children_max=r.get(u, w, "children_max", _children_max, d.children_max),
        event_s=r.get(u, w, "event", parse_duration, d.event_s),
        pid1_s=r.get(u, w, "pid1", parse_duration, d.pid1_s),
        throttler_exec_s=r.get(u, w, "throttler_exec", parse_duration, d.throttler_exec_s),
        reload_rule=r.get(u, w, "reload_rule", to_choice(RELOAD_RULES), d.reload_rule),
    )
