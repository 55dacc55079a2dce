"""``[[storm]] from_capture = FILE`` (and ``run --capture FILE``): read while the scenario is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.scenario.capture import CapturedStorm, captured_storm, load_capture
from engine.scenario.model import MachineSpec
from engine.scenario.reader import REQUIRED, Reader

CAPTURE_KEYS = ("at", "from_capture")  # of the [[storm]] keys, the ones a captured storm takes


def read_captures(
    r: Reader,
    data: dict[str, Any],
    machine: MachineSpec,
    duration: float | None,
    base_dir: Path | None,
    override: str | None = None,
) -> tuple[CapturedStorm, ...]:
    """Every ``from_capture`` storm, or only ``override`` (a path as the user typed it).

    Errors in the table name the scenario's FILE:LINE; errors in a capture name the
    scenario's FILE:LINE and ``storm[i].from_capture``, then the capture's FILE:LINE.
    """
    if override is not None:
        return _one(r, "--capture", 0, override, Path(override), 0.0, machine, duration)
    raw = data.get("storm")
    out: list[CapturedStorm] = []
    for i, item in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(item, dict) or "from_capture" not in item:
            continue
        w = f"storm[{i}]"
        t = r.table(item, w, CAPTURE_KEYS)
        name = r.field(t, w, "from_capture", REQUIRED)
        at = r.field(t, w, "at", 0.0)  # a capture starts at t = 0 unless told otherwise
        if name is None or at is None:
            continue
        path = (base_dir or Path.cwd()) / name
        storm = _one(r, w, i, str(path), path, at, machine, duration)
        out.extend(storm)
    return tuple(out)


def _one(
    r: Reader,
    where: str,
    index: int,
    source: str,
    path: Path,
    at_s: float,
    machine: MachineSpec,
    duration: float | None,
) -> tuple[CapturedStorm, ...]:
    shape = (machine.smt, machine.cores_present, machine.cores_possible)
    broken = any(f == "machine" or f.startswith("machine.") for f in r.failed)
    if broken or None in (*shape, machine.memory_bytes, machine.memory_block_bytes):
        # the machine is already reported broken: a replay against a refused size (2^63
        # bytes of memory, 2^66 cores) would allocate for it
        return ()
    try:
        storm = captured_storm(load_capture(path, source), machine, index=index, at_s=at_s)
    except InputError as err:
        r.failed.add(where)
        if where.startswith("storm"):  # as machine.from_dtb: the scenario and key, then the file
            line = r.lines.find(where)
            err = InputError(r.source, str(err), where=f"{where}.from_capture", line=line)
        r.errors.append(err)
        return ()
    if duration is not None and storm.last_s > duration:
        field = f"{where}.at" if where.startswith("storm") else where
        r.errors.append(
            InputError(
                r.source,
                f"the capture's last event, at {storm.last_s:g}s ({storm.span_s:g}s after its "
                f"first), falls past the end (scenario.duration = {duration:g}s)",
                where=field,
                line=r.lines.find(where) if where.startswith("storm") else None,
            )
        )
        return ()
    return (storm,)
