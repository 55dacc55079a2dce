"""engine.kexec.elfcorehdr: a real Elf64 core header, read back with pyelftools."""

from __future__ import annotations

import io

import pytest
from elftools.elf.elffile import ELFFile

from engine.kexec.elfcorehdr import (
    CRASH_MAX_MEMORY_RANGES,
    ELF64_EHDR_BYTES,
    ELF64_PHDR_BYTES,
    NOTE_BUF_BYTES,
    PAGE_OFFSET,
    VMCOREINFO_NOTE_BYTES,
    Elfcorehdr,
    build_elfcorehdr,
    elfcorehdr_bytes,
    elfcorehdr_segment_size,
)

MiB, GiB = 1 << 20, 1 << 30
RANGES = [(0, 256 * MiB), (512 * MiB, 1536 * MiB), (4 * GiB, 2 * GiB)]


def parse(blob: bytes) -> ELFFile:
    return ELFFile(io.BytesIO(blob))


def segments_of(elf: ELFFile, kind: str) -> list:
    return [seg for seg in elf.iter_segments() if seg["p_type"] == kind]


def test_header_is_a_big_endian_ppc64_core() -> None:
    elf = parse(build_elfcorehdr(8, RANGES))
    assert elf.elfclass == 64
    assert not elf.little_endian
    assert elf["e_type"] == "ET_CORE"
    assert elf["e_machine"] == "EM_PPC64"
    assert elf["e_phoff"] == ELF64_EHDR_BYTES
    assert elf["e_phentsize"] == ELF64_PHDR_BYTES
    assert elf.num_segments() == 8 + 1 + len(RANGES)


@pytest.mark.parametrize("cpus", [1, 8, 32, 256])
def test_one_note_per_possible_cpu_plus_vmcoreinfo(cpus: int) -> None:
    elf = parse(build_elfcorehdr(cpus, RANGES))
    notes = segments_of(elf, "PT_NOTE")
    assert len(notes) == cpus + 1
    cpu_notes, vmcoreinfo = notes[:-1], notes[-1]
    assert {n["p_memsz"] for n in cpu_notes} == {NOTE_BUF_BYTES}
    assert vmcoreinfo["p_memsz"] == VMCOREINFO_NOTE_BYTES
    addresses = [n["p_paddr"] for n in cpu_notes]
    assert len(set(addresses)) == cpus  # distinct, deterministic per-cpu buffers
    assert all(n["p_offset"] == n["p_paddr"] for n in notes)
    assert parse(build_elfcorehdr(cpus, RANGES)).get_segment(0)["p_paddr"] == addresses[0]


def test_loads_match_the_ram_ranges() -> None:
    elf = parse(build_elfcorehdr(4, RANGES))
    loads = segments_of(elf, "PT_LOAD")
    assert [(s["p_paddr"], s["p_memsz"]) for s in loads] == RANGES
    for seg, (start, size) in zip(loads, RANGES, strict=True):
        assert seg["p_offset"] == start
        assert seg["p_vaddr"] == start + PAGE_OFFSET  # __va() on ppc64
        assert seg["p_filesz"] == size
        assert seg["p_flags"] == 7


def test_size_is_the_kernels_4k_aligned_elf_sz() -> None:
    blob = build_elfcorehdr(8, RANGES)
    # nr_cpus + vmcoreinfo + ranges + the always-reserved kernel-map slot
    raw = ELF64_EHDR_BYTES + (8 + 1 + 3 + 1) * ELF64_PHDR_BYTES
    assert len(blob) == elfcorehdr_bytes(8, 3) == 4096 >= raw


def test_little_endian_variant_for_ppc64le() -> None:
    elf = parse(build_elfcorehdr(2, RANGES, byteorder="little"))
    assert elf.little_endian
    assert [s["p_paddr"] for s in segments_of(elf, "PT_LOAD")] == [r[0] for r in RANGES]


def test_note_base_moves_the_notes() -> None:
    elf = parse(build_elfcorehdr(2, RANGES, note_base=0x4000_0000))
    assert segments_of(elf, "PT_NOTE")[0]["p_paddr"] == 0x4000_0000


def test_padded_to_segment_and_refused_beyond_it() -> None:
    assert len(build_elfcorehdr(2, RANGES, segment_bytes=64 * 1024)) == 64 * 1024
    with pytest.raises(ValueError, match="does not fit"):
        build_elfcorehdr(2, [(i * MiB, MiB) for i in range(200)], segment_bytes=4096)


def test_hotplug_segment_size_is_arch_crash_get_elfcorehdr_size() -> None:
    # sizeof(Elf64_Ehdr) + (nr_cpus + 1 + CRASH_MAX_MEMORY_RANGES) * sizeof(Elf64_Phdr)
    assert elfcorehdr_segment_size(32, True, RANGES) == 64 + (32 + 1 + 8192) * 56
    assert elfcorehdr_segment_size(32, True, 5000) == elfcorehdr_segment_size(32, True, 0)
    assert elfcorehdr_segment_size(32, True, 0, page_bytes=65536) % 65536 == 0


def test_non_hotplug_segment_is_exactly_what_the_ranges_need() -> None:
    assert elfcorehdr_segment_size(32, False, RANGES) == elfcorehdr_bytes(32, 3)
    assert elfcorehdr_segment_size(32, False, RANGES) == len(build_elfcorehdr(32, RANGES))


def test_update_within_a_hotplug_segment() -> None:
    hdr = Elfcorehdr(8, elfcorehdr_segment_size(8, True, RANGES), RANGES)
    assert hdr.loads == 3
    more = RANGES + [(8 * GiB, 256 * MiB)]
    assert hdr.update(more) is True
    assert hdr.ram_ranges == tuple(more)
    assert hdr.loads == 4
    loads = segments_of(parse(hdr.bytes), "PT_LOAD")
    assert [(s["p_paddr"], s["p_memsz"]) for s in loads] == more


def test_update_refused_beyond_the_segment_keeps_old_bytes() -> None:
    hdr = Elfcorehdr(8, elfcorehdr_segment_size(8, True, 0))
    # the reserved kernel-map slot and the 4 KiB rounding cost a few of the 8192 slots
    assert CRASH_MAX_MEMORY_RANGES - 16 < hdr.max_ranges < CRASH_MAX_MEMORY_RANGES
    fits = [(i * 128 * MiB, 64 * MiB) for i in range(hdr.max_ranges)]
    assert hdr.update(fits) is True
    before = hdr.bytes
    too_many = fits + [(hdr.max_ranges * 128 * MiB, 64 * MiB)]
    assert hdr.update(too_many) is False
    assert hdr.bytes == before
    assert hdr.loads == hdr.max_ranges
    assert hdr.refusals == 1
    assert len(segments_of(parse(hdr.bytes), "PT_LOAD")) == hdr.max_ranges


def test_without_hotplug_growth_is_refused_once_past_the_4k_slack() -> None:
    ranges = [(0, MiB)]
    hdr = Elfcorehdr(4, elfcorehdr_segment_size(4, False, ranges), ranges)
    grown = [(i * 2 * MiB, MiB) for i in range(hdr.max_ranges + 1)]
    assert hdr.update(grown) is False
    assert hdr.ram_ranges == tuple(ranges)


def test_initial_ranges_must_fit() -> None:
    with pytest.raises(ValueError, match="needs"):
        Elfcorehdr(4, 1024, RANGES)


@pytest.mark.parametrize("bad", [[(0, 0)], [(-1, MiB)], [(1 << 64, 1)]])
def test_bad_ranges_rejected(bad: list[tuple[int, int]]) -> None:
    with pytest.raises(ValueError, match="bad RAM range"):
        build_elfcorehdr(1, bad)


def test_header_read_after_updates_is_the_build_of_its_current_ranges() -> None:
    # updates leave the bytes to be built when read: what is read must be exactly the
    # header built from the ranges of the last accepted update, and used_bytes its length
    hdr = Elfcorehdr(16, elfcorehdr_segment_size(16, True, 0), RANGES)
    steps = [RANGES[:1], RANGES, RANGES + [(8 * GiB, 256 * MiB)], RANGES[:2]]
    for ranges in steps:
        assert hdr.update(ranges) is True
        assert hdr.used_bytes == len(hdr.bytes)
        assert hdr.bytes == build_elfcorehdr(16, ranges)
    # 16 CPUs + vmcoreinfo + 2 ranges + the kernel-map slot = 20 phdrs: 64 + 20 x 56 -> 4096
    assert hdr.used_bytes == 4096
