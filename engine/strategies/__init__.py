"""Reload strategies: how kdump learns about a hotplug event.

Each strategy is a class whose hooks the storm calls; the hooks start SimPy
processes over the simulation's shared machine, image and kexec lock.
"""

from __future__ import annotations

from engine.scenario.names import STRATEGY_NAMES
from engine.strategies.base import Strategy
from engine.strategies.crash_hotplug import CrashHotplug
from engine.strategies.rfc_fdt_hole import RfcFdtHole
from engine.strategies.udev_load_once import UdevLoadOnce
from engine.strategies.udev_reload import UdevReload
from engine.strategies.udev_throttled import UdevThrottled

STRATEGY_CLASSES: dict[str, type[Strategy]] = {
    cls.name: cls for cls in (UdevReload, UdevThrottled, UdevLoadOnce, RfcFdtHole, CrashHotplug)
}
if tuple(STRATEGY_CLASSES) != STRATEGY_NAMES:  # the light copy the CLI parsers read
    raise ImportError(
        f"engine/scenario/names.py lists {STRATEGY_NAMES}, not {tuple(STRATEGY_CLASSES)}"
    )

__all__ = ["STRATEGY_CLASSES", "STRATEGY_NAMES", "Strategy"]
