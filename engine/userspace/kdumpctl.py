"""``kdumpctl reload``: unload, then a full load that re-copies every segment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.process import Process

if TYPE_CHECKING:
    from engine.run.simulation import Simulation

# every segment a full load copies (kexec_trylock() never waits: a busy lock is EBUSY)
ALL_SEGMENTS = frozenset({"kernel", "initrd", "purgatory", "elfcorehdr", "fdt"})


def kdump_reload(sim: Simulation, why: str) -> Process:
    """Unload (image gone), then load; the load holds the kexec lock while it copies.

    The window with no usable image is exactly unload + load long. With
    ``kexec_load`` kexec-tools reads the machine (device tree, memory) when the
    load starts; with ``kexec_file_load`` the kernel reads it inside the syscall.
    """
    env = sim.env
    unload_s = sim.kdump.reload.unload.draw(sim.streams.get("reload.unload"))
    load_s = sim.kdump.reload.load.draw(sim.streams.get("reload.load"))
    unload = sim.unload_image(why)
    yield env.timeout(unload_s)
    sim.end_unload(unload)

    load = sim.begin_load(sim.kdump.syscall)
    if sim.kdump.syscall == "kexec_load":
        snapshot = sim.snapshot_for_load()
    copy_bytes = sim.load_copy_bytes()
    copy_s = min(load_s, copy_bytes / sim.kdump.copy_bandwidth_bytes_per_s)
    yield env.timeout(load_s - copy_s)

    lock = sim.begin_copy("kexec-load", ALL_SEGMENTS)
    if lock is None:
        # kexec_trylock() failed: the syscall returns EBUSY and nothing is loaded
        sim.end_load(load, cpu_s=unload_s + load_s, copied_bytes=0, ok=False, error="EBUSY")
        return
    if sim.kdump.syscall == "kexec_file_load":
        snapshot = sim.snapshot_for_load()
    yield env.timeout(copy_s)
    if sim.finish_copy(lock, "kexec-load", snapshot):
        sim.end_load(
            load,
            cpu_s=unload_s + load_s,
            copied_bytes=copy_bytes,
            ok=True,
            fdt_bytes=snapshot.fdt_bytes,
            cpu_threads=len(sim.hole.fdt_threads()),
        )
    else:
        sim.end_load(
            load,
            cpu_s=unload_s + load_s,
            copied_bytes=copy_bytes,
            ok=False,
            error="FDT does not fit its segment",
        )
