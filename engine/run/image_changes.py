"""Every change of the kdump image, made through the simulation: state, trace, readiness.

Strategies and ``kdumpctl`` never set ``image.loaded``, ``busy_segments`` or
the kexec lock themselves: they call these methods, each of which changes the
image, writes the trace record (opening or closing its span) and refreshes
readiness together, so no caller can forget one of the three.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import simpy

from engine.devicetree.fdt_hole import FdtHole, UpdateOutcome
from engine.devicetree.kdump_fdt import KdumpFdtBuilder
from engine.kexec.crash_region import CrashRegion
from engine.kexec.elfcorehdr import Elfcorehdr, elfcorehdr_segment_size
from engine.kexec.image import KexecImage
from engine.machine.topology import Machine
from engine.run.counters import RunCounters
from engine.run.trace import RecordKind, Trace
from engine.scenario.load import KdumpSpec


@dataclass(frozen=True)
class LoadSnapshot:
    """What a load read from the machine: the FDT blob and the memory it describes."""

    blob: bytes
    block_runs: tuple[tuple[int, int], ...]  # the online blocks, as runs
    ram_ranges: tuple[tuple[int, int], ...]

    @property
    def fdt_bytes(self) -> int:
        return len(self.blob)


@dataclass(frozen=True)
class KernelUpdate:
    """An in-kernel update in progress: its span, what it rewrote, and the bytes it moved."""

    span: int
    holder: str
    what: str
    reason: str
    outcome: str  # "updated", "too-large", or an ``UpdateOutcome`` value
    moved_bytes: int


class ImageChanges:
    """The image-changing half of ``Simulation`` (mixed in; the attributes are its own)."""

    env: simpy.Environment
    trace: Trace
    machine: Machine
    kdump: KdumpSpec
    image: KexecImage
    hole: FdtHole
    region: CrashRegion
    builder: KdumpFdtBuilder
    elfcorehdr: Elfcorehdr
    counters: RunCounters
    peak_used_bytes: int
    hole_fill: list[tuple[float, int]]  # (t_s, bytes used in the FDT hole) after each write
    elfcorehdr_hotplug: bool

    def refresh(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------- kexec syscalls (engine.kexec.syscalls)
    def unload_image(self, why: str) -> int:
        """``kexec -p -u`` starts; returns its span (the image goes at its syscall)."""
        return self.trace.begin(self.env.now, RecordKind.UNLOAD_START, why=why)

    def unload_syscall(self, holder: str) -> bool:
        """trylock, ``kimage_free(xchg(dest_image, NULL))``, unlock; False: EBUSY."""
        image = self.image
        if not image.try_lock(holder):
            return False
        image.loaded = False
        image.hotplug_support = False
        image.unlock(holder)
        self.refresh()
        return True

    def end_unload(self, span: int, **detail: object) -> None:
        self.trace.end(self.env.now, RecordKind.UNLOAD_END, span, **detail)

    def begin_load(self, syscall: str, *, after_unload: int | None = None) -> int:
        """The load command starts (the old image is still there); returns the load span.

        ``after_unload`` is the span of the unload this load completes (one
        ``kdumpctl reload``), so an exporter draws the reload from the trace
        itself; a load alone (SUSE ``load.sh``, the first load) names none.
        """
        if after_unload is None:
            return self.trace.begin(self.env.now, RecordKind.LOAD_START, syscall=syscall)
        return self.trace.begin(
            self.env.now, RecordKind.LOAD_START, syscall=syscall, unload_span=after_unload
        )

    def enter_load_syscall(self, holder: str) -> int | None:
        """``kexec_trylock()``, then the old crash image freed; the lock span, None when busy."""
        image = self.image
        if not image.try_lock(holder):
            return None
        span = self.trace.begin(self.env.now, RecordKind.LOCK_TAKEN, holder=holder)
        # the syscall frees the old image first: kimage_free(xchg(&kexec_crash_image, NULL));
        # after an unload it is gone already, for a load alone (SUSE) it goes now
        image.loaded = False
        image.hotplug_support = False
        self.refresh()
        return span

    def load_builds(self, syscall: str, *, locked: bool) -> None:
        """The load reads the machine and builds its segments from here (a point in the trace)."""
        self.trace.add(self.env.now, RecordKind.LOAD_BUILD, syscall=syscall, locked=locked)

    def begin_copy(self, segments: Iterable[str]) -> None:
        """``kimage_load_segment()`` of ``segments`` starts, under the lock."""
        self.image.busy_segments.update(segments)
        self.refresh()

    def finish_copy(self, lock_span: int, holder: str, snapshot: LoadSnapshot) -> bool:
        """The copy is done: install what the load read, drop the lock; False if it did not fit."""
        ok = self.install_snapshot(snapshot)
        image = self.image
        image.busy_segments.clear()
        image.loaded = ok
        # kimage->hotplug_support, from arch_crash_hotplug_support() at load time
        image.hotplug_support = ok and self.kdump.hotplug
        image.unlock(holder)
        self.trace.end(self.env.now, RecordKind.LOCK_RELEASED, lock_span, holder=holder)
        self.refresh()
        return ok

    def end_load(
        self, span: int, *, cpu_s: float, copied_bytes: int, reload: bool = True, **detail: object
    ) -> None:
        """The load command returns (``detail``: ok, error, sizes); a reload unless at start."""
        self.trace.end(self.env.now, RecordKind.LOAD_END, span, **detail)
        if reload:
            self.counters.reloads += 1
            self.counters.reload_cpu_s += cpu_s
        self.counters.bytes_copied += copied_bytes
        self.refresh()

    def snapshot_for_load(self) -> LoadSnapshot:
        """What a kexec load reads from the machine now."""
        return LoadSnapshot(
            self.builder.build(),
            self.machine.block_runs(),
            tuple(self.machine.ram_ranges()),
        )

    def load_copy_bytes(self) -> int:
        k = self.kdump
        return (
            k.kernel_bytes
            + k.initrd_bytes
            + k.purgatory_bytes
            + self.region.segment("elfcorehdr").size_bytes
            + len(self.builder.build())
        )

    def _note_hole_fill(self) -> None:
        """After every write of the hole: its peak (a metric) and its fill over time."""
        used = self.hole.used_bytes
        self.peak_used_bytes = max(self.peak_used_bytes, used)
        if self.hole_fill and self.hole_fill[-1][1] == used:
            return  # an update that moved nothing: no new point
        self.hole_fill.append((float(self.env.now), used))

    def install_snapshot(self, snap: LoadSnapshot) -> bool:
        """Copy the FDT into its segment (or hole) and write the elfcorehdr."""
        if not self.hole.load(snap.blob):
            return False
        self._note_hole_fill()
        ranges = list(snap.ram_ranges)
        if not self.elfcorehdr.update(ranges):
            # a full load sizes the elfcorehdr segment for the ranges it finds
            possible = self.machine.cores_possible * self.machine.smt
            self.elfcorehdr = Elfcorehdr(
                possible, elfcorehdr_segment_size(possible, self.elfcorehdr_hotplug, ranges)
            )
            self.elfcorehdr.update(ranges)
        self.image.elfcorehdr_runs = snap.block_runs
        return True

    # ------------------------------------------------------ in-kernel update
    def lock_for_update(self, holder: str, what: str, reason: str) -> bool:
        """``kexec_trylock()`` for an update; when busy the update is skipped, and traced."""
        if self.image.try_lock(holder):
            self.refresh()
            return True
        self.trace.add(
            self.env.now,
            RecordKind.UPDATE_SKIP,
            what=what,
            reason=reason,
            lock_holder=self.image.lock_holder,
            message="kexec_trylock() failed, kdump image may be inaccurate",
        )
        self.counters.skipped_updates += 1
        return False

    def release_lock(self, holder: str) -> None:
        """Drop the kexec lock without changing the image (nothing loaded to update)."""
        self.image.unlock(holder)
        self.refresh()

    def skip_update_without_hotplug_support(self, holder: str, what: str, reason: str) -> None:
        """``if (!image->hotplug_support) goto out``: the lock dropped, the image untouched."""
        self.image.unlock(holder)
        if what != "none":
            self.trace.add(
                self.env.now,
                RecordKind.UPDATE_SKIP,
                what=what,
                reason=reason,
                lock_holder=None,
                message="image->hotplug_support is 0: the kernel leaves the image alone",
            )
        self.refresh()

    def begin_kernel_update(
        self, holder: str, what: str, reason: str, *, null_image: bool
    ) -> KernelUpdate:
        """With the lock held: rewrite /cpus or the elfcorehdr now; its cost is paid after."""
        span = self.trace.begin(self.env.now, RecordKind.UPDATE_START, what=what, reason=reason)
        image = self.image
        if null_image:
            image.null = True
        moved_bytes = 0
        outcome = "updated"
        if what == "cpus":
            image.busy_segments.add("fdt")
            result, moved_bytes = self.update_fdt_in_place(form="2024")
            outcome = result.value
        elif what == "elfcorehdr":
            image.busy_segments.add("elfcorehdr")
            ok, moved_bytes = self.update_elfcorehdr()
            outcome = "updated" if ok else "too-large"
        self.refresh()
        return KernelUpdate(span, holder, what, reason, outcome, moved_bytes)

    def end_kernel_update(self, update: KernelUpdate) -> None:
        """The update's time is up: the image is back, the lock dropped, the outcome traced."""
        image = self.image
        image.null = False
        image.busy_segments.clear()
        image.unlock(update.holder)
        nospace = update.outcome == UpdateOutcome.NOSPACE.value
        if nospace:
            self.trace.end(
                self.env.now,
                RecordKind.UPDATE_NOSPACE,
                update.span,
                what=update.what,
                reason=update.reason,
                error="FDT_ERR_NOSPACE",
                hole_bytes=self.hole.size_bytes,
            )
        else:
            self.trace.end(
                self.env.now,
                RecordKind.UPDATE_END,
                update.span,
                what=update.what,
                reason=update.reason,
                outcome=update.outcome,
                moved_bytes=update.moved_bytes,
            )
        self.counters.kernel_updates += 1
        self.counters.bytes_copied += update.moved_bytes
        if nospace:
            self.counters.nospace += 1
        self.refresh()

    def update_fdt_in_place(self, form: str = "2024") -> tuple[UpdateOutcome, int]:
        """``update_cpus_node()`` (``form`` "2024" or the RFC's "2021") on the FDT in the
        hole; returns the bytes libfdt moved.

        The kernel deletes every CPU node and re-adds each live one with all
        its properties; every libfdt delete, add_subnode and setprop memmoves
        what follows it in the blob. We count half the used blob per operation
        (the /cpus node sits in the middle of a pseries tree): a model, not a
        measurement, since no source publishes the update's duration.
        """
        before_nodes = self.hole.cpu_node_count()
        result = self.hole.update_cpus(self.machine, form=form)
        self._note_hole_fill()
        props = len(self.machine.template.prop_names)
        ops = before_nodes + len(self.machine.present_cores) * (1 + props)
        return result, ops * (self.hole.used_bytes // 2)

    def update_elfcorehdr(self) -> tuple[bool, int]:
        ok = self.elfcorehdr.update(self.machine.ram_ranges())
        if ok:
            self.image.elfcorehdr_runs = self.machine.block_runs()
        else:
            self.counters.elfcorehdr_refused += 1
        return ok, self.elfcorehdr.used_bytes

    # ----------------------------------------------------------------- udev
    def count_dropped(self) -> None:
        """A uevent a throttler or the jobs file swallowed."""
        self.counters.dropped_uevents += 1
