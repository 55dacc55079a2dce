"""The RFC's lock-free update of the hole, made through the simulation: state, trace, readiness.

The timing and the order of the steps are ``engine.strategies.rfc_hook``'s; these
methods change the hole, the half-written window (``TornUpdate``), the trace span
and the readiness together, as ``engine.run.image_changes`` does for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import simpy

from engine.devicetree.fdt_hole import FdtHole, UpdateOutcome
from engine.devicetree.update_progress import TornUpdate, UpdateSpan
from engine.kexec.hole_writes import HoleWrites
from engine.kexec.image import KexecImage
from engine.machine.topology import Machine
from engine.run.counters import RunCounters
from engine.run.trace import RecordKind, Trace
from engine.scenario.model import KdumpSpec


@dataclass(frozen=True)
class LocklessUpdate:
    """One ``update_cpus_node(kexec_crash_fdt)`` in progress."""

    span: int
    reason: str
    result: UpdateOutcome
    moved_bytes: int
    torn: TornUpdate


class LocklessUpdates:
    """The lock-free half of ``Simulation`` (mixed in; the attributes are its own)."""

    env: simpy.Environment
    trace: Trace
    machine: Machine
    image: KexecImage
    hole: FdtHole
    counters: RunCounters
    hole_writes: HoleWrites
    torn: TornUpdate | None
    kdump: KdumpSpec

    def refresh(self) -> None:
        raise NotImplementedError

    def update_fdt_in_place(self, form: str = "2024") -> tuple[UpdateOutcome, int]:
        raise NotImplementedError

    def hole_never_written(self, reason: str) -> None:
        """Nothing was ever copied into the hole: ``fdt_path_offset()`` fails, ``pr_err()``."""
        span = self.trace.begin(
            self.env.now, RecordKind.UPDATE_START, what="cpus", reason=reason, lock=None
        )
        self.trace.end(self.env.now, RecordKind.UPDATE_END, span, outcome="badmagic")

    def begin_lockless_update(
        self, reason: str, form: str, deletes: int, calls_per_node: int
    ) -> LocklessUpdate:
        """No lock, no image check, nothing set to NULL: edit the hole now.

        The update lasts ``[kdump.kernel_update]``'s fixed cost plus the bytes libfdt
        moved at its bandwidth, spread evenly over ``deletes`` calls and then
        ``calls_per_node`` per present core (``engine.devicetree.update_progress``).
        """
        now = self.env.now
        span_of_writes = UpdateSpan(reason, now)
        overlaps = self.hole_writes.update_started(span_of_writes)
        order = self.machine.present_cores
        span = self.trace.begin(
            now,
            RecordKind.UPDATE_START,
            what="cpus",
            reason=reason,
            form=form,
            lock=None,
            image_loaded=self.image.loaded,
            overlaps_load=overlaps,
        )
        result, moved_bytes = self.update_fdt_in_place(form=form)
        duration_s = self.kdump.kernel_update.duration_s(moved_bytes)
        torn = TornUpdate.spread(
            span_of_writes, order, self.machine.smt, duration_s, deletes, calls_per_node
        )
        self.torn = torn
        self.refresh()
        return LocklessUpdate(span, reason, result, moved_bytes, torn)

    def end_lockless_update(self, update: LocklessUpdate) -> None:
        writes = update.torn.span
        writes.running = False
        if self.torn is update.torn:
            self.torn = None
        nospace = update.result is UpdateOutcome.NOSPACE
        detail: dict[str, object] = (
            {"error": "FDT_ERR_NOSPACE", "hole_bytes": self.hole.size_bytes}
            if nospace
            else {"outcome": update.result.value, "moved_bytes": update.moved_bytes}
        )
        self.trace.end(
            self.env.now,
            RecordKind.UPDATE_NOSPACE if nospace else RecordKind.UPDATE_END,
            update.span,
            what="cpus",
            reason=update.reason,
            overwritten=writes.overwritten_s is not None,
            **detail,
        )
        self.counters.kernel_updates += 1
        self.counters.bytes_copied += update.moved_bytes
        if nospace:
            self.counters.nospace += 1
        self.refresh()
