"""The [udev] table: systemd-udevd's workers, PID 1 and the udev-reload rule form."""

from __future__ import annotations

from typing import Any

from engine.scenario.model import UdevSpec
from engine.scenario.reader import Reader
from engine.scenario.schema import SCHEMA

UDEV_KEYS = SCHEMA["udev"].known


def read_udev(r: Reader, data: dict[str, Any]) -> UdevSpec:
    w = "udev"
    u = r.section(data.get(w), w)
    return UdevSpec(
        children_max=r.field(u, w, "children_max"),
        event_s=r.field(u, w, "event"),
        pid1_s=r.field(u, w, "pid1"),
        throttler_exec_s=r.field(u, w, "throttler_exec"),
        reload_rule=r.field(u, w, "reload_rule"),
    )
