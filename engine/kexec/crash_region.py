"""Where the kexec segments and the crash FDT hole sit inside the crashkernel region.

Placement rules (ppc64, ``kexec_file_load``):

* The region base, when ``crashkernel=`` names none, is the kernel's
  ``reserve_crashkernel()`` rule (arch/powerpc/kexec/core.c): on an LPAR
  ``min(RMA/2, 512 MiB)``, otherwise ``min(RMA/2, 128 MiB)``; base and size are
  then ``PAGE_ALIGN``-ed up, as the kernel does.
* The FDT hole (RFC "kexec crash FDT", Feb 2022) is allocated first, top-down inside
  the region and below the RMA limit: the capture kernel reads its FDT in real mode.
* The segments are then placed bottom-up from the region base in the order kernel,
  initrd, purgatory, elfcorehdr, fdt. With a hole the FDT segment *is* the hole and
  no separate fdt segment is placed.
* Every start is aligned to the page size. We model 64 KiB pages
  (``CONFIG_PPC_64K_PAGES``, the default of every pseries distribution kernel).

A zero-byte segment (e.g. no initrd) is not placed and does not appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import InputError
from engine.units import format_size

PAGE_BYTES = 64 << 10  # ppc64 with CONFIG_PPC_64K_PAGES
LPAR_BASE_CAP_BYTES = 512 << 20
NON_LPAR_BASE_CAP_BYTES = 128 << 20
SEGMENT_ORDER = ("kernel", "initrd", "purgatory", "elfcorehdr", "fdt")
HOLE_NAME = "fdt-hole"


def align_up(value: int, align: int = PAGE_BYTES) -> int:
    """``value`` rounded up to a multiple of ``align``."""
    return -(-value // align) * align


def align_down(value: int, align: int = PAGE_BYTES) -> int:
    """``value`` rounded down to a multiple of ``align``."""
    return value // align * align


@dataclass(frozen=True, slots=True)
class Segment:
    """One placed piece of the kdump image: ``[address, end)`` in physical memory."""

    name: str
    address: int
    size_bytes: int

    @property
    def end(self) -> int:
        """First byte after the segment."""
        return self.address + self.size_bytes


@dataclass(frozen=True)
class CrashRegion:
    """The crashkernel region with its placed segments and (optionally) the FDT hole."""

    base: int
    size_bytes: int
    segments: tuple[Segment, ...]
    hole: Segment | None = None
    rma_bytes: int | None = None
    page_bytes: int = PAGE_BYTES
    _by_name: dict[str, Segment] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.segments))
        by_name = {seg.name: seg for seg in self.segments}
        if self.hole is not None:
            by_name[HOLE_NAME] = self.hole
            by_name.setdefault("fdt", self.hole)  # the hole is the FDT segment
        object.__setattr__(self, "_by_name", by_name)

    @property
    def end(self) -> int:
        """First byte after the region."""
        return self.base + self.size_bytes

    def segment(self, name: str) -> Segment:
        """The segment called ``name``; ``"fdt"`` is the hole when there is one."""
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name) or "none"
            raise KeyError(f"no segment {name!r} in the crash region (have: {known})") from None

    def __getitem__(self, name: str) -> Segment:
        return self.segment(name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @property
    def names(self) -> tuple[str, ...]:
        """Segment names in placement order, then the hole."""
        names = tuple(seg.name for seg in self.segments)
        return names + ((HOLE_NAME,) if self.hole is not None else ())

    @property
    def used_bytes(self) -> int:
        """Bytes covered by segments and the hole (alignment gaps not counted)."""
        used = sum(seg.size_bytes for seg in self.segments)
        return used + (self.hole.size_bytes if self.hole is not None else 0)

    @property
    def free_bytes(self) -> int:
        """Bytes of the region not covered by any segment or by the hole."""
        return self.size_bytes - self.used_bytes

    def describe(self) -> list[tuple[str, int, int, int]]:
        """Rows ``(name, start, end, size_bytes)`` sorted by address, hole included."""
        pieces = list(self.segments)
        if self.hole is not None:
            pieces.append(self.hole)
        pieces.sort(key=lambda seg: seg.address)
        return [(seg.name, seg.address, seg.end, seg.size_bytes) for seg in pieces]


def default_crash_base(rma_bytes: int, lpar: bool) -> int:
    """The ppc64 default crashkernel base: ``min(RMA/2, 512 MiB)`` on an LPAR, else 128 MiB cap.

    Mirrors ``reserve_crashkernel()`` in arch/powerpc/kexec/core.c, including the
    ``PAGE_ALIGN`` that follows it.
    """
    cap = LPAR_BASE_CAP_BYTES if lpar else NON_LPAR_BASE_CAP_BYTES
    return align_up(min(rma_bytes // 2, cap))


def plan_crash_region(
    *,
    crashkernel_bytes: int,
    base: int | None = None,
    rma_bytes: int,
    lpar: bool,
    kernel_bytes: int,
    initrd_bytes: int,
    purgatory_bytes: int,
    elfcorehdr_bytes: int,
    fdt_bytes: int,
    hole_bytes: int | None = None,
    source: str = "scenario",
) -> CrashRegion:
    """Place the FDT hole (top-down, below the RMA) and the kexec segments (bottom-up).

    Raises ``InputError`` (naming ``source``) when the region is empty, starts at or
    above the RMA limit, or when the segments and the hole do not fit.
    """
    sizes = {
        "crashkernel": crashkernel_bytes,
        "rma": rma_bytes,
        "kernel": kernel_bytes,
        "initrd": initrd_bytes,
        "purgatory": purgatory_bytes,
        "elfcorehdr": elfcorehdr_bytes,
        "fdt": fdt_bytes,
    }
    if base is not None:
        sizes["base"] = base
    if hole_bytes is not None:
        sizes["hole"] = hole_bytes
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(source, f"{name} must be a whole number of bytes >= 0, got {value!r}")
    if crashkernel_bytes == 0:
        raise InputError(source, "crashkernel region is empty: no memory reserved for kdump")
    if rma_bytes == 0:
        raise InputError(source, "RMA size must be above zero")
    if hole_bytes == 0:
        raise InputError(source, "FDT hole size must be above zero (or no hole at all)")

    # The kernel PAGE_ALIGNs both the base and the size of the reservation.
    region_base = default_crash_base(rma_bytes, lpar) if base is None else align_up(base)
    region_size = align_up(crashkernel_bytes)
    region_end = region_base + region_size
    if region_base >= rma_bytes:
        raise InputError(
            source,
            f"crashkernel region starts at {region_base:#x}, at or above the RMA limit "
            f"{rma_bytes:#x} ({format_size(rma_bytes)}): the capture kernel must start "
            "in the RMA",
        )

    wanted = [
        (name, size)
        for name, size in zip(
            SEGMENT_ORDER,
            (kernel_bytes, initrd_bytes, purgatory_bytes, elfcorehdr_bytes, fdt_bytes),
            strict=True,
        )
        if size > 0 and not (name == "fdt" and hole_bytes is not None)
    ]
    need_segments = sum(align_up(size) for _, size in wanted)

    hole = None
    top = region_end
    if hole_bytes is not None:
        hole_top = align_down(min(rma_bytes, region_end))
        hole_start = align_down(hole_top - hole_bytes)
        if hole_start < region_base:
            room = max(hole_top - region_base, 0)
            raise InputError(
                source,
                f"FDT hole of {format_size(hole_bytes)} does not fit below the RMA limit "
                f"{rma_bytes:#x}: the crashkernel region has {format_size(room)} there "
                f"({region_base:#x}..{hole_top:#x})",
            )
        hole = Segment(HOLE_NAME, hole_start, hole_bytes)
        top = hole_start

    if region_base + need_segments > top:
        detail = f" + hole {format_size(hole_bytes)}" if hole_bytes is not None else ""
        where = ""
        if hole_bytes is not None and top < region_end:
            where = f" (below the hole at {top:#x}: {format_size(top - region_base)} free)"
        raise InputError(
            source,
            f"kexec segments need {format_size(need_segments)}{detail} but crashkernel "
            f"region is {format_size(region_size)}{where}",
        )

    segments = []
    cursor = region_base
    for name, size in wanted:
        segments.append(Segment(name, cursor, size))
        cursor = align_up(cursor + size)
    return CrashRegion(
        base=region_base,
        size_bytes=region_size,
        segments=tuple(segments),
        hole=hole,
        rma_bytes=rma_bytes,
    )
