"""``kdumpctl reload``: unload, then a full load that re-copies every segment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.run.trace import RecordKind
from engine.strategies.base import Process

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
    env, trace, image = sim.env, sim.trace, sim.image
    unload_s = sim.kdump.reload.unload.draw(sim.streams.get("reload.unload"))
    load_s = sim.kdump.reload.load.draw(sim.streams.get("reload.load"))
    trace.add(env.now, RecordKind.UNLOAD_START, why=why)
    image.loaded = False
    sim.refresh()
    yield env.timeout(unload_s)
    trace.add(env.now, RecordKind.UNLOAD_END)

    trace.add(env.now, RecordKind.LOAD_START, syscall=sim.kdump.syscall)
    if sim.kdump.syscall == "kexec_load":
        snapshot = sim.snapshot_for_load()
    copy_bytes = sim.load_copy_bytes()
    copy_s = min(load_s, copy_bytes / sim.kdump.copy_bandwidth_bytes_per_s)
    yield env.timeout(load_s - copy_s)

    if not image.try_lock("kexec-load"):
        # kexec_trylock() failed: the syscall returns EBUSY and nothing is loaded
        trace.add(env.now, RecordKind.LOAD_END, ok=False, error="EBUSY")
        sim.count_reload(unload_s + load_s, 0)
        sim.refresh()
        return
    trace.add(env.now, RecordKind.LOCK_TAKEN, holder="kexec-load")
    if sim.kdump.syscall == "kexec_file_load":
        snapshot = sim.snapshot_for_load()
    image.busy_segments.update(ALL_SEGMENTS)
    sim.refresh()
    yield env.timeout(copy_s)
    ok = sim.install_snapshot(snapshot)
    image.busy_segments.clear()
    image.loaded = ok
    image.unlock("kexec-load")
    trace.add(env.now, RecordKind.LOCK_RELEASED, holder="kexec-load")
    if ok:
        trace.add(
            env.now,
            RecordKind.LOAD_END,
            ok=True,
            fdt_bytes=snapshot.fdt_bytes,
            cpu_threads=len(sim.hole.fdt_threads()),
        )
    else:
        trace.add(env.now, RecordKind.LOAD_END, ok=False, error="FDT does not fit its segment")
    sim.count_reload(unload_s + load_s, copy_bytes)
    sim.refresh()
