"""What a run counts as it goes: reloads, bytes copied, uevents, kernel updates."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class RunCounters:
    """Running totals the metrics read; only the simulation's state changes add to them."""

    reloads: int = 0
    reload_cpu_s: float = 0.0
    bytes_copied: int = 0
    uevents: int = 0
    dropped_uevents: int = 0
    kernel_updates: int = 0
    skipped_updates: int = 0
    nospace: int = 0
    elfcorehdr_refused: int = 0
