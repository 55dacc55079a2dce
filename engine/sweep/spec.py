"""Sweep files: a ``[sweep]`` table that names a scenario and what to vary over it.

    [sweep]
    scenario = "../hole_too_small.toml"   # relative to this file
    description = "what it varies and why"
    vary = ["kdump.fdt_hole=24KiB..64KiB/4KiB", "storm.0.cores=8,16,24"]
    strategies = ["fdt-hole", "crash-hotplug"]   # default: the scenario's [compare]
    seeds = 3                                    # default 1
    metrics = ["fdt_hole.nospace"]              # default exposure_s

``kdump-storm sweep FILE`` takes these as its defaults; options on the command
line replace them (``--vary`` adds to the file's list).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError
from engine.sweep.plan import read_scenario_text

KEYS = ("scenario", "description", "vary", "strategies", "seeds", "metrics")


@dataclass(frozen=True)
class SweepSpec:
    scenario: Path
    description: str
    vary: tuple[str, ...]
    strategies: tuple[str, ...]
    seeds: int | None
    metrics: tuple[str, ...]


def _strings(source: str, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(source, f"expected a list of strings, got {value!r}", where=f"sweep.{key}")
    return tuple(value)


def read_sweep_spec(path: str | Path) -> SweepSpec | None:
    """The file's [sweep] table, or None when the file is a plain scenario."""
    source = str(path)
    try:
        data = tomllib.loads(read_scenario_text(path))
    except tomllib.TOMLDecodeError:
        return None  # the scenario reader reports it with its line
    table = data.get("sweep")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise InputError(source, "expected a [sweep] table", where="sweep")
    for key in table:
        if key not in KEYS:
            raise InputError(source, f"unknown key; known: {', '.join(KEYS)}", where=f"sweep.{key}")
    scenario = table.get("scenario")
    if not isinstance(scenario, str):
        raise InputError(source, "required: the scenario file to sweep", where="sweep.scenario")
    seeds = table.get("seeds")
    if seeds is not None and (isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1):
        raise InputError(
            source, f"expected a whole number >= 1, got {seeds!r}", where="sweep.seeds"
        )
    description = table.get("description", "")
    if not isinstance(description, str):
        raise InputError(source, "expected a string", where="sweep.description")
    return SweepSpec(
        Path(path).parent / scenario,
        description,
        _strings(source, "vary", table.get("vary", [])),
        _strings(source, "strategies", table.get("strategies", [])),
        seeds,
        _strings(source, "metrics", table.get("metrics", [])),
    )
