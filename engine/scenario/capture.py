"""A captured storm checked against the machine and cut into the steps the storm replays.

``[[storm]] from_capture = "resize.log"`` (path relative to the scenario; ``at``
offsets it) or ``kdump-storm run --capture FILE``. Times are taken relative to the
first CPU or memory event. What each event becomes:

- ``online`` of thread N (``/devices/system/cpu/cpuN``): core ``N // smt``. If that
  core is not present, this is a pseries DLPAR add (``dlpar_cpu_add()`` in
  arch/powerpc/platforms/pseries/hotplug-cpu.c attaches the core's node, then
  ``dlpar_online_cpu()`` onlines its threads one after another): the core is
  attached and it and the following onlines of its threads form one ``core-add``
  step, each thread starting the captured gap after the previous one's uevent,
  as a scripted ``cpu-add`` spaces them by ``machine.thread_online``. An online of
  a thread of a present core is a ``thread-online`` step at its instant.
- ``offline``: a run of offlines that leaves a core with no thread online is the
  DLPAR remove (``dlpar_cpu_remove()``: ``dlpar_offline_cpu()`` then detach), one
  ``core-remove`` step; other offlines are ``thread-offline`` steps (SMT changes).
- memory ``add`` / ``online`` / ``offline`` / ``remove`` of ``memoryN`` (block N,
  drivers/base/memory.c) are replayed as they were: ``block-added`` and
  ``block-removed`` are the uevents alone, ``block-online`` / ``block-offline``
  change the memory the image must describe.
- any other subsystem, device or action is counted and ignored.

Every event is checked against the machine's state at that point (boot: cores
``0 .. cores_present - 1`` with every thread online, memory blocks ``0 .. memory /
memory_block - 1`` online); a thread outside the possible cores, a block past
``machine.memory_max``, an online of an online thread... is an ``InputError``
naming the capture's FILE:LINE.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from engine.errors import InputError
from engine.machine.block_runs import BlockRunSet
from engine.scenario.capture_read import CapturedUevent, CaptureText, read_capture
from engine.scenario.model import CapturedStorm, CaptureStep, MachineSpec
from engine.units import format_size

_CPU = re.compile(r"^/devices/system/cpu/cpu(\d+)$")
_MEMORY = re.compile(r"^/devices/system/memory/memory(\d+)$")
CAPTURE_BYTES_MAX = 64 << 20  # a capture larger than this is not a resize storm


def load_capture(path: str | Path, source: str | None = None) -> CaptureText:
    """Read a capture file; ``InputError`` naming it for an unreadable or bad file."""
    from engine.user_files import read_user_file

    name = str(path) if source is None else source
    data = read_user_file(path, max_bytes=CAPTURE_BYTES_MAX, prefix="cannot read: ")
    if len(data) > CAPTURE_BYTES_MAX:
        raise InputError(name, f"larger than {format_size(CAPTURE_BYTES_MAX)}: not a capture")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(name, "cannot read: not UTF-8 text") from None
    return read_capture(text, name)


def captured_storm(
    capture: CaptureText, machine: MachineSpec, *, index: int = 0, at_s: float = 0.0
) -> CapturedStorm:
    """Check ``capture`` against ``machine`` and group its events into steps."""
    return _Replay(capture, machine).storm(index, at_s)


class _Replay:
    def __init__(self, capture: CaptureText, machine: MachineSpec) -> None:
        self.capture, self.source = capture, capture.source
        self.smt = machine.smt
        self.cores_possible = machine.cores_possible
        block = machine.memory_block_bytes
        self.block_bytes = block
        self.blocks_max = (
            None
            if machine.memory_possible_bytes is None
            else machine.memory_possible_bytes // block
        )
        self.boot_cores = machine.cores_present
        self.present = set(range(machine.cores_present))
        self.online = {t for c in self.present for t in range(c * self.smt, (c + 1) * self.smt)}
        # runs, not sets: a 16 TiB machine's boot memory is one run of 2^20 blocks
        self.blocks_online = BlockRunSet(machine.memory_bytes // block)
        self.blocks_present = self.blocks_online.copy()
        self.peak_blocks = len(self.blocks_online)
        self.steps: list[CaptureStep] = []
        self.ignored: Counter[str] = Counter()
        # an open DLPAR add or remove: one core's (event, thread)s
        self.group: list[tuple[CapturedUevent, int]] = []
        self.group_kind = ""
        self.group_core = -1
        self.first_us: int | None = None
        self.last_us = 0

    def fail(self, event: CapturedUevent, reason: str) -> InputError:
        return InputError(self.source, reason, line=event.line)

    def storm(self, index: int, at_s: float) -> CapturedStorm:
        for event in self.capture.events:
            self.one(event)
        self.close_group()
        if not self.steps:
            what = ", ".join(f"{n} {k}" for k, n in sorted(self.ignored.items())) or "no events"
            raise InputError(
                self.source,
                f"no CPU or memory events to replay ({self.capture.form} capture; found: {what})",
            )
        self.steps.sort(key=lambda s: s.t_s)  # a DLPAR group sits at its first thread
        assert self.first_us is not None
        return CapturedStorm(
            index,
            at_s,
            self.source,
            self.capture.form,
            tuple(self.steps),
            (self.last_us - self.first_us) / 1e6,
            tuple(sorted(self.ignored.items())),
            self.peak_blocks,
        )

    def rel_s(self, event: CapturedUevent) -> float:
        assert self.first_us is not None
        return (event.t_us - self.first_us) / 1e6

    def one(self, event: CapturedUevent) -> None:
        cpu = _CPU.match(event.devpath) if event.subsystem == "cpu" else None
        memory = _MEMORY.match(event.devpath) if event.subsystem == "memory" else None
        replayed = (cpu and event.action in ("online", "offline")) or (
            memory and event.action in ("add", "online", "offline", "remove")
        )
        if not replayed:
            device = "" if cpu or memory or event.subsystem not in ("cpu", "memory") else " device"
            self.ignored[f"{event.subsystem or '?'}{device} {event.action}"] += 1
            return
        if self.first_us is None:
            self.first_us = event.t_us
        elif event.t_us < self.last_us:
            raise self.fail(
                event,
                f"time goes backwards: {event.t_us / 1e6:.6f} after {self.last_us / 1e6:.6f}",
            )
        self.last_us = event.t_us
        if cpu:
            self.cpu(event, int(cpu.group(1)))
        else:
            assert memory is not None
            self.memory(event, int(memory.group(1)))

    # ------------------------------------------------------------------ CPUs
    def cpu(self, event: CapturedUevent, thread: int) -> None:
        possible = self.cores_possible * self.smt
        if thread >= possible:
            raise self.fail(
                event,
                f"cpu{thread}: thread {thread} is outside the possible cores (machine."
                f"cores_possible = {self.cores_possible} x smt {self.smt}: threads 0 to "
                f"{possible - 1})",
            )
        core = thread // self.smt
        online = event.action == "online"
        belongs = bool(self.group) and self.group_core == core
        belongs = belongs and self.group_kind == ("core-add" if online else "core-remove")
        if not belongs:
            self.close_group()  # before the checks: closing a remove may detach the core
        if online:
            if thread in self.online:
                booted = self.boot_cores
                hint = f" (core {core}: machine.cores_present = {booted} boots cores 0 to "
                hint = hint + f"{booted - 1})" if core < booted else ""
                raise self.fail(
                    event, f"cpu{thread} online: thread {thread} is already online{hint}"
                )
            self.online.add(thread)
            if belongs:
                self.group.append((event, thread))
            elif core not in self.present:
                self.present.add(core)
                self.group, self.group_kind, self.group_core = [(event, thread)], "core-add", core
            else:
                step = CaptureStep(self.rel_s(event), "thread-online", thread, line=event.line)
                self.steps.append(step)
            return
        if thread not in self.online:
            raise self.fail(event, f"cpu{thread} offline: thread {thread} is not online")
        if len(self.online) == 1:
            raise self.fail(event, f"cpu{thread} offline: it is the last online thread")
        self.online.discard(thread)
        if not belongs:
            self.group, self.group_kind, self.group_core = [], "core-remove", core
        self.group.append((event, thread))

    def close_group(self) -> None:
        members, kind = self.group, self.group_kind
        self.group, self.group_kind = [], ""
        if not members:
            return
        group = [event for event, _ in members]
        threads = tuple(thread for _, thread in members)
        core = threads[0] // self.smt
        gaps = tuple((b.t_us - a.t_us) / 1e6 for a, b in zip(group, group[1:], strict=False))
        first = group[0]
        if kind == "core-remove":
            left = set(range(core * self.smt, (core + 1) * self.smt)) & self.online
            if left or len(self.present) == 1:  # threads offlined, the core stays (SMT change)
                for event, thread in zip(group, threads, strict=True):
                    self.steps.append(
                        CaptureStep(self.rel_s(event), "thread-offline", thread, line=event.line)
                    )
                return
            self.present.discard(core)
        self.steps.append(CaptureStep(self.rel_s(first), kind, core, threads, gaps, first.line))

    # ---------------------------------------------------------------- memory
    def memory(self, event: CapturedUevent, block: int) -> None:
        name = f"memory{block} {event.action}"
        if self.blocks_max is not None and block >= self.blocks_max:
            raise self.fail(
                event,
                f"{name}: block {block} is past machine.memory_max = "
                f"{format_size(self.blocks_max * self.block_bytes)} (blocks 0 to "
                f"{self.blocks_max - 1} of {format_size(self.block_bytes)})",
            )
        action = event.action
        if action == "add":
            if block in self.blocks_present:
                raise self.fail(event, f"{name}: block {block} is already present")
            self.blocks_present.add(block)
            kind = "block-added"
        elif action == "online":
            if block in self.blocks_online:
                raise self.fail(event, f"{name}: block {block} is already online")
            self.blocks_present.add(block)  # its add may precede the capture
            self.blocks_online.add(block)
            # the machine needs room for this block's index, not only for the count
            self.peak_blocks = max(self.peak_blocks, block + 1)
            kind = "block-online"
        elif action == "offline":
            if block not in self.blocks_online:
                raise self.fail(event, f"{name}: block {block} is not online")
            if len(self.blocks_online) == 1:
                raise self.fail(event, f"{name}: it is the last online memory block")
            self.blocks_online.discard(block)
            kind = "block-offline"
        else:
            if block in self.blocks_online:
                raise self.fail(
                    event, f"{name}: block {block} is online (the kernel offlines it first)"
                )
            if block not in self.blocks_present:
                raise self.fail(event, f"{name}: block {block} is not present")
            self.blocks_present.discard(block)
            kind = "block-removed"
        self.steps.append(CaptureStep(self.rel_s(event), kind, block, line=event.line))
