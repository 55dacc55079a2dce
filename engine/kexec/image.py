"""The loaded kdump image: loaded or not, the kexec lock, NULL during an update.

The FDT bytes live in an ``FdtHole`` (the RFC's hole, upstream's unpacked
FDT segment, or for udev strategies the plain FDT segment, always rewritten
whole by a load). The elfcorehdr is a real ELF header in its segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ImageState:
    """A read-only view for the TUI."""

    loaded: bool
    null: bool
    lock_holder: str | None
    busy_segments: frozenset[str]


@dataclass
class KexecImage:
    """Mutable image state; the simulation's processes change it, outcomes read it."""

    loaded: bool = True
    null: bool = False
    lock_holder: str | None = None
    busy_segments: set[str] = field(default_factory=set)
    # kimage->hotplug_support: the kernel may update this image on hotplug
    # (arch_crash_hotplug_support(), set by do_kexec_load / kimage_file_alloc_init)
    hotplug_support: bool = False
    # memory blocks the elfcorehdr describes, as sorted (first, last) runs (frozen at load
    # or update time; engine.machine.block_runs)
    elfcorehdr_runs: tuple[tuple[int, int], ...] = ()

    def try_lock(self, holder: str) -> bool:
        """``kexec_trylock()``: never waits."""
        if self.lock_holder is not None:
            return False
        self.lock_holder = holder
        return True

    def unlock(self, holder: str) -> None:
        if self.lock_holder != holder:
            raise RuntimeError(f"kexec lock held by {self.lock_holder!r}, not {holder!r}")
        self.lock_holder = None

    def view(self) -> ImageState:
        return ImageState(self.loaded, self.null, self.lock_holder, frozenset(self.busy_segments))
