"""The ELF core header (elfcorehdr) the capture kernel reads to build /proc/vmcore.

Built the way ``crash_prepare_elf64_headers()`` (kernel/crash_core.c) builds it:

* one ``PT_NOTE`` per possible CPU, pointing at that CPU's ``crash_notes`` buffer
  (``p_offset = p_paddr`` = its physical address, size ``sizeof(note_buf_t)``);
* one ``PT_NOTE`` for the vmcoreinfo note (``VMCOREINFO_NOTE_SIZE``);
* one ``PT_LOAD`` per RAM range: ``p_offset = p_paddr = start``,
  ``p_vaddr = __va(start)`` (``start + 0xc000000000000000`` on ppc64),
  ``p_filesz = p_memsz = size``, flags RWX, ``p_align = 0``;
* the buffer is ``ALIGN(sizeof(Elf64_Ehdr) + nr_phdr * sizeof(Elf64_Phdr), 4096)``
  with ``nr_phdr = nr_cpus + 1 + nr_ranges + 1`` (the kernel always reserves room
  for a kernel-text PT_LOAD; powerpc passes ``need_kernel_map = false``, so that
  slot stays zero).

Byte order: the brief models a big-endian ppc64 (``ELFDATA2MSB``). The kernel's
``crash_prepare_elf64_headers()`` writes native-endian fields and hard-codes
``ELFDATA2LSB`` in ``e_ident`` (only right on little-endian hosts, e.g. ppc64le);
pass ``byteorder="little"`` to model a ppc64le host.

The physical addresses of the per-CPU notes and of the vmcoreinfo note are made up,
but deterministic: CPU ``n``'s note is at ``note_base + n * PERCPU_UNIT_BYTES``.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterable, Sequence
from typing import Literal

ELF64_EHDR_BYTES = 64
ELF64_PHDR_BYTES = 56
ELF_CORE_HEADER_ALIGN = 4096  # include/linux/crash_core.h
CRASH_MAX_MEMORY_RANGES = 8192  # CONFIG_CRASH_MAX_MEMORY_RANGES default (kernel/Kconfig.kexec)
PN_XNUM = 0xFFFF  # e_phnum at or above this needs extended numbering: we refuse it

EM_PPC64 = 21
ET_CORE = 4
PT_LOAD = 1
PT_NOTE = 4
PF_RWX = 0x7
ELFCLASS64 = 2
ELFDATA2LSB = 1
ELFDATA2MSB = 2
EV_CURRENT = 1

PAGE_OFFSET = 0xC000_0000_0000_0000  # ppc64 __va(x) = x + PAGE_OFFSET
_U64 = (1 << 64) - 1

# note_buf_t = u32[CRASH_CORE_NOTE_BYTES / 4] (include/linux/vmcore_info.h):
#   2 * ALIGN(sizeof(struct elf_note), 4)   = 2 * 12 = 24   (the note + the final empty note)
#   + ALIGN(sizeof("CORE"), 4)              = 8
#   + ALIGN(sizeof(struct elf_prstatus), 4) = 504 on ppc64 (112-byte common part,
#     48 x 8-byte gregs, pr_fpvalid, padded to 8)
NOTE_BUF_BYTES = 24 + 8 + 504  # 536
# VMCOREINFO_NOTE_SIZE = 2 * 12 + ALIGN(sizeof("VMCOREINFO"), 4) + VMCOREINFO_BYTES (PAGE_SIZE)
VMCOREINFO_NOTE_BYTES = 24 + 12 + (64 << 10)  # 64 KiB pages on ppc64

PERCPU_UNIT_BYTES = 64 << 10  # made-up per-CPU area stride between two CPUs' crash_notes
CRASH_NOTES_BASE = 0x0300_0000  # made-up physical address of CPU 0's crash_notes
VMCOREINFO_NOTE_PADDR = 0x0200_0000  # made-up physical address of the vmcoreinfo note

_EHDR_FMT = "16sHHIQQQIHHHHHH"
_PHDR_FMT = "IIQQQQQQ"

RamRanges = Sequence[tuple[int, int]]
ByteOrder = Literal["big", "little"]


def elfcorehdr_bytes(possible_cpus: int, nr_ranges: int) -> int:
    """Size of the header ``crash_prepare_elf64_headers()`` builds for this many ranges."""
    nr_phdr = possible_cpus + 1 + nr_ranges + 1
    raw = ELF64_EHDR_BYTES + nr_phdr * ELF64_PHDR_BYTES
    return -(-raw // ELF_CORE_HEADER_ALIGN) * ELF_CORE_HEADER_ALIGN


def elfcorehdr_segment_size(
    possible_cpus: int,
    hotplug: bool,
    ram_ranges: RamRanges | int,
    *,
    page_bytes: int | None = None,
) -> int:
    """Bytes of the elfcorehdr kexec segment (its ``memsz``).

    With crash hotplug support the segment is sized for the worst case, as powerpc's
    ``arch_crash_get_elfcorehdr_size()`` (arch/powerpc/kexec/crash.c, Linux 6.10):
    ``sizeof(struct elfhdr) + (num_possible_cpus() + 1 + CONFIG_CRASH_MAX_MEMORY_RANGES)
    * sizeof(Elf64_Phdr)``. Without it, exactly what the current ranges need.
    ``page_bytes`` rounds up as ``kexec_add_buffer()`` does with ``memsz`` (PAGE_SIZE).
    """
    _check_cpus(possible_cpus)
    nr_ranges = ram_ranges if isinstance(ram_ranges, int) else len(ram_ranges)
    if hotplug:
        phdrs = possible_cpus + 1 + CRASH_MAX_MEMORY_RANGES
        size = ELF64_EHDR_BYTES + phdrs * ELF64_PHDR_BYTES
    else:
        size = elfcorehdr_bytes(possible_cpus, nr_ranges)
    if page_bytes:
        size = -(-size // page_bytes) * page_bytes
    return size


def _check_cpus(possible_cpus: int) -> None:
    if isinstance(possible_cpus, bool) or not isinstance(possible_cpus, int) or possible_cpus < 1:
        raise ValueError(f"possible_cpus must be a whole number >= 1, got {possible_cpus!r}")


def _check_ranges(ram_ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    ranges = tuple([(int(start), int(size)) for start, size in ram_ranges])
    for start, size in ranges:
        if start < 0 or size <= 0 or start + size > 1 << 64:
            raise ValueError(f"bad RAM range (start={start:#x}, size={size:#x})")
    return ranges


def _check_phnum(possible_cpus: int, nr_ranges: int) -> int:
    phnum = possible_cpus + 1 + nr_ranges
    if phnum >= PN_XNUM:
        raise ValueError(f"{phnum} program headers: beyond the ELF limit of {PN_XNUM - 1}")
    return phnum


# compiled once per byte order (">" big, "<" little): a memory storm rebuilds the header
# per block under crash hotplug
_EHDR = {prefix: struct.Struct(prefix + _EHDR_FMT) for prefix in "><"}
_PHDR = {prefix: struct.Struct(prefix + _PHDR_FMT) for prefix in "><"}


@functools.lru_cache(maxsize=8)
def _notes_and_ident(
    possible_cpus: int, note_base: int, vmcoreinfo_paddr: int, prefix: str
) -> tuple[bytes, bytes]:
    """One PT_NOTE per possible CPU, then the vmcoreinfo PT_NOTE, and ``e_ident``: the same
    for every rebuild of one machine's header."""
    phdr = _PHDR[prefix]
    notes = b"".join(
        phdr.pack(PT_NOTE, 0, paddr, 0, paddr, NOTE_BUF_BYTES, NOTE_BUF_BYTES, 0)
        for paddr in (note_base + cpu * PERCPU_UNIT_BYTES for cpu in range(possible_cpus))
    )
    vmcoreinfo = phdr.pack(
        PT_NOTE,
        0,
        vmcoreinfo_paddr,
        0,
        vmcoreinfo_paddr,
        VMCOREINFO_NOTE_BYTES,
        VMCOREINFO_NOTE_BYTES,
        0,
    )
    ident = bytes(
        [0x7F, ord("E"), ord("L"), ord("F"), ELFCLASS64]
        + [ELFDATA2MSB if prefix == ">" else ELFDATA2LSB, EV_CURRENT, 0]
    ).ljust(16, b"\0")
    return notes + vmcoreinfo, ident


def build_elfcorehdr(
    possible_cpus: int,
    ram_ranges: RamRanges,
    *,
    note_base: int = CRASH_NOTES_BASE,
    segment_bytes: int | None = None,
    vmcoreinfo_paddr: int = VMCOREINFO_NOTE_PADDR,
    byteorder: ByteOrder = "big",
) -> bytes:
    """A complete Elf64 core header: ET_CORE, EM_PPC64, notes then one PT_LOAD per range.

    ``ram_ranges`` holds ``(start, size_bytes)`` pairs. The result is zero-padded to the
    kernel's 4 KiB-aligned size, or to ``segment_bytes`` when given (the whole segment
    as it sits in memory); ``ValueError`` if it does not fit there.
    """
    _check_cpus(possible_cpus)
    ranges = _check_ranges(ram_ranges)
    phnum = _check_phnum(possible_cpus, len(ranges))
    size = elfcorehdr_bytes(possible_cpus, len(ranges))
    if segment_bytes is not None:
        if size > segment_bytes:
            raise ValueError(
                f"elfcorehdr of {size} bytes does not fit its {segment_bytes}-byte segment"
            )
        size = segment_bytes
    prefix = ">" if byteorder == "big" else "<"
    notes, ident = _notes_and_ident(possible_cpus, note_base, vmcoreinfo_paddr, prefix)
    ehdr = _EHDR[prefix].pack(
        ident,
        ET_CORE,
        EM_PPC64,
        EV_CURRENT,
        0,  # e_entry
        ELF64_EHDR_BYTES,  # e_phoff
        0,  # e_shoff
        0,  # e_flags
        ELF64_EHDR_BYTES,
        ELF64_PHDR_BYTES,
        phnum,
        0,  # e_shentsize
        0,  # e_shnum
        0,  # e_shstrndx
    )
    pack = _PHDR[prefix].pack
    loads = b"".join(
        [
            pack(PT_LOAD, PF_RWX, start, (start + PAGE_OFFSET) & _U64, start, length, length, 0)
            for start, length in ranges
        ]
    )
    # the CPUs' notes then vmcoreinfo's, the PT_LOADs, zeros to the end (one join, no
    # bytearray: the header is rebuilt per memory block under crash hotplug)
    pad = size - ELF64_EHDR_BYTES - len(notes) - len(loads)
    return b"".join((ehdr, notes, loads, bytes(pad)))


class Elfcorehdr:
    """The elfcorehdr segment of a loaded kdump image, rewritten on memory hotplug.

    ``update()`` refuses (returns False, keeps the old header) when the new header
    is larger than the segment, as powerpc's ``update_crash_elfcorehdr()`` does
    ("Updated crash elfcorehdr elfsz %lu > memsz %lu").
    """

    def __init__(
        self,
        possible_cpus: int,
        segment_bytes: int,
        ram_ranges: RamRanges = (),
        *,
        note_base: int = CRASH_NOTES_BASE,
        byteorder: ByteOrder = "big",
    ) -> None:
        _check_cpus(possible_cpus)
        self.possible_cpus = possible_cpus
        self.segment_bytes = segment_bytes
        self.note_base = note_base
        self.byteorder: ByteOrder = byteorder
        self.generation = 0
        self.refusals = 0
        ranges = _check_ranges(ram_ranges)
        _check_phnum(possible_cpus, len(ranges))
        needed = elfcorehdr_bytes(possible_cpus, len(ranges))
        if needed > segment_bytes:
            raise ValueError(
                f"elfcorehdr for {possible_cpus} CPUs and {len(ranges)} RAM ranges needs "
                f"{needed} bytes but its segment is {segment_bytes} bytes"
            )
        self._ranges = ranges
        self._bytes: bytes | None = None  # built when read (see ``bytes``)

    def _build(self, ranges: RamRanges) -> bytes:
        return build_elfcorehdr(
            self.possible_cpus, ranges, note_base=self.note_base, byteorder=self.byteorder
        )

    @property
    def bytes(self) -> bytes:
        """The header as the kernel would copy it in (``elfsz`` bytes, 4 KiB aligned).

        Built from the current ranges when first read after a change: a memory storm
        under crash hotplug updates the header per block and the run needs only its
        size (``used_bytes``), which the ranges give without building it."""
        if self._bytes is None:
            self._bytes = self._build(self._ranges)
        return self._bytes

    @property
    def ram_ranges(self) -> tuple[tuple[int, int], ...]:
        """The ``(start, size_bytes)`` ranges the current header lists."""
        return self._ranges

    @property
    def loads(self) -> int:
        """Number of PT_LOAD program headers in the current header."""
        return len(self._ranges)

    @property
    def used_bytes(self) -> int:
        """``len(bytes)``: the header's 4 KiB-aligned size for the current ranges."""
        return elfcorehdr_bytes(self.possible_cpus, len(self._ranges))

    @property
    def max_ranges(self) -> int:
        """Largest number of RAM ranges a header in this segment can list."""
        room = self.segment_bytes // ELF_CORE_HEADER_ALIGN * ELF_CORE_HEADER_ALIGN
        n = (room - ELF64_EHDR_BYTES) // ELF64_PHDR_BYTES - self.possible_cpus - 2
        return max(n, -1)

    def fits(self, nr_ranges: int) -> bool:
        """Would a header with ``nr_ranges`` PT_LOADs fit the segment?"""
        return elfcorehdr_bytes(self.possible_cpus, nr_ranges) <= self.segment_bytes

    def update(self, ram_ranges: RamRanges) -> bool:
        """Rebuild for ``ram_ranges``; False (old header kept) if it exceeds the segment."""
        ranges = _check_ranges(ram_ranges)
        if not self.fits(len(ranges)):
            self.refusals += 1
            return False
        _check_phnum(self.possible_cpus, len(ranges))  # what building it would refuse
        if ranges != self._ranges:  # the same ranges give the same bytes: keep them
            self._bytes = None
            self._ranges = ranges
        self.generation += 1
        return True
