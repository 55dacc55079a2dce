"""Two writers of one FDT hole: a load copying its FDT in, and the RFC's lock-free update.

With the RFC a load writes the hole too: ``kexec_file_load`` copies its FDT there
(``elf64_load()``, RFC patch "use pre-allocated memory hole for kexec crash FDT",
then ``kimage_load_segment()``), and kexec-tools points ``kexec_load``'s FDT segment
at ``/sys/kernel/kexec_crash_fdt``. The RFC's hook in ``dlpar_cpu_add()`` takes no
lock, so nothing orders it against that copy. Which write wins:

- an update that runs after the load read the machine and before its copy lands is
  overwritten: the load's FDT, read earlier, wins and lacks what the update added;
- an update still running when the copy lands is interleaved with it; we let the
  copy win (its bytes are a whole tree) and end the update's half-written window
  there: a **simplification**, since the update's remaining libfdt calls would in
  fact edit the new tree at offsets computed in the old one;
- an update that starts after the copy landed edits the load's tree and wins.

The trace marks each case (``fdt-overlap``, and ``overlaps_load`` on the update).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.devicetree.update_progress import UpdateSpan
from engine.run.trace import RecordKind, Trace


@dataclass(eq=False)
class _LoadWrite:
    read_s: float  # when the load read the machine: its FDT describes that instant
    updates: list[UpdateSpan] = field(default_factory=list)


class HoleWrites:
    """Loads between reading the machine and copying their FDT, and the updates in between."""

    def __init__(self, trace: Trace) -> None:
        self._trace = trace
        self._in_flight: list[_LoadWrite] = []

    def load_read_machine(self, t_s: float) -> _LoadWrite:
        write = _LoadWrite(t_s)
        self._in_flight.append(write)
        return write

    def load_abandoned(self, write: _LoadWrite) -> None:
        """The load failed before copying (EBUSY): it never writes the hole."""
        self._in_flight.remove(write)

    def update_started(self, update: UpdateSpan) -> bool:
        """Register a lock-free update; True when a load will copy over it."""
        for write in self._in_flight:
            write.updates.append(update)
        return bool(self._in_flight)

    def load_wrote(self, write: _LoadWrite, t_s: float) -> None:
        """The load's FDT has landed in the hole: say which write won over each update."""
        self._in_flight.remove(write)
        for update in write.updates:
            if update.running:
                update.overwritten_s = t_s
                winner, how = "reload", "interleaved"
            else:
                winner, how = "reload", "update-overwritten"
            self._trace.add(
                t_s,
                RecordKind.FDT_OVERLAP,
                update=update.reason,
                update_start_s=round(update.start_s, 9),
                load_read_s=round(write.read_s, 9),
                winner=winner,
                how=how,
            )
