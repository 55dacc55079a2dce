"""A sweep over the FDT hole finds NOSPACE up to the size ``inspect`` says is too small.

``kdump-storm dtb`` writes the kdump FDT before the storm; ``kdump-storm inspect
--hole H`` says how many more cores fit a hole of H. The 24-core storm of
hole_too_small.toml must hit -FDT_ERR_NOSPACE exactly for the holes where fewer
than 24 fit (within one step of the sweep).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from engine.sweep.execute import run_local
from engine.sweep.grid import parse_vary
from engine.sweep.plan import make_plan
from engine.units import parse_size

HOLE = Path(__file__).resolve().parent.parent / "scenarios" / "hole_too_small.toml"
ADDED_CORES = 24
STEP = "2KiB"


@pytest.mark.slow
def test_nospace_starts_where_inspect_says_the_added_cores_no_longer_fit(capsys, tmp_path):
    dtb = tmp_path / "before.dtb"
    assert main(["dtb", str(HOLE), "--strategy", "fdt-hole", "--at", "1", "-o", str(dtb)]) == 0
    plan = make_plan(
        HOLE, [parse_vary(f"kdump.fdt_hole=30KiB..44KiB/{STEP}")], strategies=["fdt-hole"]
    )
    rows = run_local(plan.tasks).rows
    capsys.readouterr()
    fits = {}
    for row in rows:
        hole = parse_size(row.point.settings[0].value.toml)
        assert main(["inspect", str(dtb), "--hole", str(hole), "--format", "json"]) == 0
        fits[hole] = json.loads(capsys.readouterr().out)["more_cores_fit"] >= ADDED_CORES
    nospace = {
        parse_size(r.point.settings[0].value.toml): dict(r.metrics)["fdt_hole.nospace"]
        for r in rows
    }
    enough = min(h for h, ok in fits.items() if ok)  # the smallest hole inspect says will do
    clean = min(h for h in nospace if all(nospace[g] == 0 for g in nospace if g >= h))
    assert abs(clean - enough) <= parse_size(STEP)
    assert all(nospace[h] > 0 for h in nospace if h < enough - parse_size(STEP))
    assert any(nospace[h] > 0 for h in nospace) and any(n == 0 for n in nospace.values())
