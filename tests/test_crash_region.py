"""engine.kexec.crash_region: ppc64 default base, the hole top-down below the RMA, segments."""

from __future__ import annotations

from itertools import pairwise

import pytest

from engine.errors import InputError
from engine.kexec.crash_region import (
    PAGE_BYTES,
    CrashRegion,
    Segment,
    default_crash_base,
    plan_crash_region,
)

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

SEGMENTS = dict(
    kernel_bytes=40 * MiB,
    initrd_bytes=30 * MiB,
    purgatory_bytes=20_000,
    elfcorehdr_bytes=459_320,
    fdt_bytes=100_000,
)

# 50 MiB + 29 MiB + 512 KiB + 512 KiB = 80 MiB, fdt 256 KiB on top when there is no hole
ROUND_SEGMENTS = dict(
    kernel_bytes=50 * MiB,
    initrd_bytes=29 * MiB,
    purgatory_bytes=512 * KiB,
    elfcorehdr_bytes=512 * KiB,
    fdt_bytes=0,
)


def plan(**overrides: object) -> CrashRegion:
    args: dict[str, object] = dict(crashkernel_bytes=512 * MiB, rma_bytes=1 * GiB, lpar=True)
    args.update(SEGMENTS)
    args.update(overrides)
    return plan_crash_region(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rma", "lpar", "base"),
    [
        (512 * MiB, True, 256 * MiB),  # RMA/2 below the LPAR cap
        (1 * GiB, True, 512 * MiB),  # RMA/2 = the cap
        (4 * GiB, True, 512 * MiB),  # capped at 512 MiB on an LPAR
        (512 * MiB, False, 128 * MiB),  # capped at 128 MiB elsewhere
        (128 * MiB, False, 64 * MiB),
        (100 * MiB + 2 * KiB, True, 50 * MiB + PAGE_BYTES),  # PAGE_ALIGN-ed up like the kernel
    ],
)
def test_default_base_follows_reserve_crashkernel(rma: int, lpar: bool, base: int) -> None:
    assert default_crash_base(rma, lpar) == base


def test_segments_bottom_up_in_kexec_order_and_page_aligned() -> None:
    region = plan(hole_bytes=None)
    assert region.base == 512 * MiB
    assert [s.name for s in region.segments] == [
        "kernel",
        "initrd",
        "purgatory",
        "elfcorehdr",
        "fdt",
    ]
    assert region["kernel"].address == region.base
    for before, after in pairwise(region.segments):
        assert after.address % PAGE_BYTES == 0
        assert after.address >= before.end
        assert after.address - before.end < PAGE_BYTES  # packed: next page boundary
    assert region.hole is None


def test_hole_is_top_down_below_the_rma_and_replaces_the_fdt_segment() -> None:
    # region 512 MiB..1 GiB, RMA 768 MiB: the hole ends at the RMA limit, not the region end
    region = plan(rma_bytes=768 * MiB, base=512 * MiB, crashkernel_bytes=512 * MiB, hole_bytes=MiB)
    assert region.hole == Segment("fdt-hole", 768 * MiB - MiB, MiB)
    assert region["fdt"] is region.hole  # the FDT segment is the hole
    assert "fdt" not in [s.name for s in region.segments]
    assert region.hole.address % PAGE_BYTES == 0


def test_hole_at_region_top_when_region_is_below_rma() -> None:
    region = plan(crashkernel_bytes=256 * MiB, rma_bytes=2 * GiB, hole_bytes=MiB)
    assert region.hole is not None
    assert region.hole.end == region.end == 512 * MiB + 256 * MiB


def test_odd_hole_size_still_page_aligned_and_inside() -> None:
    region = plan(hole_bytes=100_000)
    assert region.hole is not None
    assert region.hole.address % PAGE_BYTES == 0
    assert region.hole.end <= min(region.end, 1 * GiB)
    assert region.hole.size_bytes == 100_000


def test_describe_reports_every_address_sorted() -> None:
    region = plan(hole_bytes=MiB)
    rows = region.describe()
    assert [row[0] for row in rows] == ["kernel", "initrd", "purgatory", "elfcorehdr", "fdt-hole"]
    for name, start, end, size in rows:
        assert end - start == size == region[name].size_bytes
        assert region.base <= start < end <= region.end
    starts = [row[1] for row in rows]
    assert starts == sorted(starts)


def test_free_bytes_and_lookup() -> None:
    region = plan(hole_bytes=MiB)
    used = sum(SEGMENTS.values()) - SEGMENTS["fdt_bytes"] + MiB
    assert region.free_bytes == 512 * MiB - used
    assert "initrd" in region
    with pytest.raises(KeyError, match="no segment 'bogus'"):
        region.segment("bogus")


def test_zero_size_segment_is_not_placed() -> None:
    region = plan(initrd_bytes=0)
    assert "initrd" not in region
    assert region["purgatory"].address == region["kernel"].end  # 40 MiB is page aligned


def test_explicit_base_is_page_aligned_up() -> None:
    region = plan(base=300 * MiB + 5)
    assert region.base == 300 * MiB + PAGE_BYTES


def test_segments_do_not_fit() -> None:
    with pytest.raises(InputError) as info:
        plan(crashkernel_bytes=64 * MiB, hole_bytes=MiB, **ROUND_SEGMENTS)
    assert str(info.value).startswith(
        "scenario: kexec segments need 80 MiB + hole 1 MiB but crashkernel region is 64 MiB"
    )


def test_segments_collide_with_hole() -> None:
    # 80 MiB of segments, 81 MiB region: fits alone, not with a 2 MiB hole on top
    with pytest.raises(InputError, match="need 80 MiB \\+ hole 2 MiB but crashkernel region is"):
        plan(crashkernel_bytes=81 * MiB, hole_bytes=2 * MiB, **ROUND_SEGMENTS)
    region = plan(crashkernel_bytes=81 * MiB, hole_bytes=None, **ROUND_SEGMENTS)
    assert region.free_bytes == 1 * MiB


def test_hole_larger_than_region() -> None:
    with pytest.raises(InputError, match="FDT hole of 1 GiB does not fit below the RMA"):
        plan(hole_bytes=1 * GiB, source="s.toml")


def test_hole_above_rma_impossible() -> None:
    # region 512 MiB..1 GiB but the RMA ends at 513 MiB: 1 MiB of region below it
    with pytest.raises(InputError, match="FDT hole of 2 MiB does not fit below the RMA"):
        plan(base=512 * MiB, rma_bytes=513 * MiB, hole_bytes=2 * MiB)


def test_region_past_rma() -> None:
    with pytest.raises(InputError, match="at or above the RMA limit"):
        plan(base=2 * GiB, rma_bytes=1 * GiB)


@pytest.mark.parametrize(
    "overrides",
    [{"crashkernel_bytes": 0}, {"kernel_bytes": -1}, {"hole_bytes": 0}, {"rma_bytes": 0}],
)
def test_nonsense_sizes(overrides: dict[str, int]) -> None:
    with pytest.raises(InputError) as info:
        plan(source="s.toml", **overrides)
    assert str(info.value).startswith("s.toml: ")
    assert "\n" not in str(info.value)


def test_error_names_the_source() -> None:
    with pytest.raises(InputError) as info:
        plan(crashkernel_bytes=16 * MiB, source="storm.toml")
    assert info.value.source == "storm.toml"
