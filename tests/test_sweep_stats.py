"""The aggregate's mean and 95% interval over seeds, against hand computations."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.sweep.aggregate import aggregate
from engine.sweep.grid import Point, Setting
from engine.sweep.stats import mean_ci95, t_cdf, t_quantile
from engine.sweep.task import Row
from engine.sweep.values import Value

# Student's t 0.975 quantiles from any printed table (e.g. NIST/SEMATECH 1.3.6.7.2)
T_TABLE = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 10: 2.228, 30: 2.042, 120: 1.980}


@pytest.mark.parametrize(("df", "t"), sorted(T_TABLE.items()))
def test_t_quantile_matches_the_printed_table(df, t):
    assert t_quantile(0.975, df) == pytest.approx(t, abs=5e-4)


def test_the_interval_of_three_seeds_by_hand():
    # values 0.5, 1.0, 2.1: mean 1.2; deviations -0.7, -0.2, 0.9; squares sum 1.34;
    # s = sqrt(1.34 / 2) = 0.818535; half = t(0.975, 2) * s / sqrt(3)
    #   = 4.302653 * 0.818535 / 1.732051 = 2.033360
    iv = mean_ci95([0.5, 1.0, 2.1])
    assert iv.n == 3 and iv.mean == pytest.approx(1.2)
    assert iv.lo == pytest.approx(1.2 - 2.033360, abs=1e-5)
    assert iv.hi == pytest.approx(1.2 + 2.033360, abs=1e-5)


def test_one_seed_has_a_mean_and_no_interval():
    iv = mean_ci95([3.0])
    assert (iv.n, iv.mean, iv.lo, iv.hi) == (1, 3.0, None, None)


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=40))
def test_the_interval_is_centred_on_the_mean_and_holds_it(values):
    iv = mean_ci95(values)
    assert iv.lo is not None and iv.hi is not None and iv.mean is not None
    assert iv.lo <= iv.mean <= iv.hi
    assert math.isclose(iv.mean - iv.lo, iv.hi - iv.mean, rel_tol=1e-9, abs_tol=1e-6)


@given(st.integers(1, 200), st.floats(0.55, 0.999))
def test_the_quantile_inverts_the_cdf(df, p):
    assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-9)


def row(index, point, strategy, seed, exposure, error=""):
    metrics = () if error else (("exposure_s", exposure),)
    return Row(index, point, strategy, seed, metrics, error)


def test_aggregate_groups_seeds_per_point_and_strategy_and_leaves_failed_runs_out():
    p0 = Point(0, (Setting("kdump.fdt_hole", Value("64KiB", "64KiB")),))
    p1 = Point(1, (Setting("kdump.fdt_hole", Value("1MiB", "1MiB")),))
    rows = [
        row(0, p0, "fdt-hole", 1, 0.5),
        row(1, p0, "fdt-hole", 2, 1.0),
        row(2, p0, "fdt-hole", 3, 2.1),
        row(3, p1, "fdt-hole", 1, 4.0),
        row(4, p1, "fdt-hole", 2, 0.0, error="ValueError: boom"),
    ]
    first, second = aggregate(list(reversed(rows)), ["exposure_s"])  # any arrival order
    assert (first.point, first.runs, first.failed) == (p0, 3, 0)
    assert first.interval("exposure_s").hi == pytest.approx(1.2 + 2.033360, abs=1e-5)
    assert (second.runs, second.failed, second.first_error) == (2, 1, "ValueError: boom")
    assert second.interval("exposure_s").n == 1 and second.interval("exposure_s").mean == 4.0
