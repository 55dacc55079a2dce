"""``Machine``: a pseries LPAR's cores (present/possible, SMT threads) and memory blocks.

Thread ids are interrupt server numbers: thread ``i`` of core ``c`` is ``c * smt + i``,
which is also the core node's ``reg`` and unit address. ``present_cores`` is in
live-tree order: the kernel attaches a DLPAR-added node first among the ``/cpus``
children, so the newest core comes first and boot cores follow in ascending order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet

from engine.machine.block_runs import BlockRunSet
from engine.machine.cpu_templates import SMT_WIDTHS, CpuNodeTemplate, builtin_dtb

GIB = 1 << 30
MIB = 1 << 20
TIB = 1 << 40
# The smallest memory block: a ppc64 sparsemem section, SECTION_SIZE_BITS = 24
# (arch/powerpc/include/asm/sparsemem.h); a pseries LMB is a whole number of them.
SECTION_BYTES = 16 * MIB
# The largest machine modelled: an assumption, not a kernel limit (ppc64's own
# ceiling is MAX_PHYSMEM_BITS = 51, 2 PiB): 64 TiB is the most memory PowerVM
# gives one LPAR on an E980/E1080, and 2^20 blocks (256 TiB of 256 MiB LMBs) bounds
# what a run holds per block, whatever a DTB or scenario says.
MAX_MEMORY_BYTES = 64 * TIB
MAX_BLOCKS = 1 << 20


def memory_limit_problem(memory_bytes: int, block_bytes: int) -> str | None:
    """Why ``memory_bytes`` in blocks of ``block_bytes`` is beyond the model, or None.

    Checked on every input (scenario, DTB) before anything is allocated per block.
    """
    if block_bytes < SECTION_BYTES or block_bytes & (block_bytes - 1):
        return (
            f"memory block of {block_bytes} bytes: must be a power of two, at least the "
            f"16 MiB ppc64 section"
        )
    if memory_bytes > MAX_MEMORY_BYTES:
        return f"{memory_bytes} bytes of memory is more than the 64 TiB modelled"
    if memory_bytes // block_bytes > MAX_BLOCKS:
        return (
            f"{memory_bytes // block_bytes} memory blocks of {block_bytes} bytes is more "
            f"than the {MAX_BLOCKS} modelled"
        )
    return None


class Machine:
    """Cores present/possible with SMT threads, and memory in fixed-size blocks."""

    def __init__(
        self,
        cpu_model: str = "POWER9",
        smt: int = 8,
        cores_present: int | Sequence[int] = 8,
        cores_possible: int = 64,
        memory_bytes: int = 64 * GIB,
        memory_block_bytes: int = 256 * MIB,
        memory_possible_bytes: int | None = None,
        template: CpuNodeTemplate | None = None,
        base_blob: bytes | None = None,
    ) -> None:
        if smt not in SMT_WIDTHS:
            raise ValueError(f"SMT must be one of {SMT_WIDTHS}, got {smt}")
        if cores_possible < 1:
            raise ValueError(f"possible cores must be at least 1, got {cores_possible}")
        if isinstance(cores_present, int):
            if not 1 <= cores_present <= cores_possible:
                raise ValueError(
                    f"present cores must be between 1 and the {cores_possible} possible cores, "
                    f"got {cores_present}"
                )
            boot = list(range(cores_present))
        else:
            boot = sorted(cores_present)
            if not boot or len(set(boot)) != len(boot):
                raise ValueError("present cores must be a non-empty set of core indexes")
            if boot[0] < 0 or boot[-1] >= cores_possible:
                raise ValueError(f"present cores must be within 0..{cores_possible - 1}")
        if memory_block_bytes <= 0:
            raise ValueError(f"memory block size must be positive, got {memory_block_bytes}")
        if memory_bytes <= 0 or memory_bytes % memory_block_bytes:
            raise ValueError(
                f"memory ({memory_bytes} bytes) must be a positive multiple of the "
                f"{memory_block_bytes}-byte memory block"
            )
        if memory_possible_bytes is None:
            memory_possible_bytes = memory_bytes
        too_large = memory_limit_problem(memory_possible_bytes, memory_block_bytes)
        if too_large:
            raise ValueError(too_large)
        if memory_possible_bytes < memory_bytes:
            raise ValueError(
                f"possible memory ({memory_possible_bytes} bytes) is below the boot memory "
                f"({memory_bytes} bytes)"
            )
        self.cpu_model = cpu_model
        self.smt = smt
        self.cores_possible = cores_possible
        self.memory_block_bytes = memory_block_bytes
        self.memory_possible_bytes = memory_possible_bytes
        self.boot_memory_bytes = memory_bytes
        # an imported machine keeps its source tree's /cpus, memory and RTAS properties
        self.imported = base_blob is not None
        self._template = template if template is not None else CpuNodeTemplate.builtin(cpu_model)
        self._base_blob = base_blob if base_blob is not None else builtin_dtb(cpu_model)
        self._present: list[int] = boot
        self._present_tuple: tuple[int, ...] | None = None
        self._present_set: set[int] = set(boot)
        self._free_hint = 0  # no absent core below this index
        self._online: set[int] = {t for c in boot for t in self.threads_of(c)}
        # online threads per core index, kept with _online (a torn update counts by core)
        self._online_in_core: list[int] = [0] * cores_possible
        for c in boot:
            self._online_in_core[c] = smt
        # online memory is kept as runs only: sorted, disjoint, non-adjacent [first, last]
        # block runs and their block count, never a set of every block (issue 14: 2^20
        # blocks of a 16 TiB LPAR would be a 2^20-entry set per Machine and per copy)
        self._memory = BlockRunSet(memory_bytes // memory_block_bytes)
        self.cpu_generation = 0
        self.memory_generation = 0
        # threads per core the SMT mode allows (ppc64_cpu --smt=N); DLPAR honours it
        self.smt_mode = smt
        self._online_cache: tuple[int, frozenset[int]] = (-1, frozenset())
        self._thread_listeners: list[Callable[[int, bool], None]] = []
        self._blocks_cache: tuple[int, frozenset[int]] = (-1, frozenset())

    # ---------------------------------------------------------------- static
    @property
    def template(self) -> CpuNodeTemplate:
        return self._template

    @property
    def base_blob(self) -> bytes:
        """The DTB the rest of the live tree comes from (a QEMU dump, or the imported file)."""
        return self._base_blob

    @property
    def threads_possible(self) -> int:
        return self.cores_possible * self.smt

    def first_thread(self, core: int) -> int:
        """Interrupt server number of the core's thread 0 (= ``reg`` of its node)."""
        return core * self.smt

    def threads_of(self, core: int) -> range:
        return range(core * self.smt, (core + 1) * self.smt)

    def core_of(self, thread: int) -> int:
        return thread // self.smt

    def boot_in_smt_mode(self, threads: int) -> None:
        """Boot with ``threads`` threads per core online (``ppc64_cpu --smt=N`` before the run)."""
        if not 1 <= threads <= self.smt:
            raise ValueError(f"SMT mode {threads} is outside 1..{self.smt}")
        if self.cpu_generation:
            raise ValueError("the boot SMT mode is set before any CPU change")
        self.smt_mode = threads
        self._online = {t for c in self._present for t in self.threads_of(c)[:threads]}
        for c in self._present:
            self._online_in_core[c] = threads

    def threads_in_mode(self, core: int) -> range:
        """The threads of ``core`` the SMT mode allows online."""
        return self.threads_of(core)[: self.smt_mode]

    # ----------------------------------------------------------------- cores
    @property
    def present_cores(self) -> tuple[int, ...]:
        """Core indexes in live-tree order: DLPAR-added cores first, newest first."""
        present = self._present_tuple
        if present is None:  # rebuilt once per core add or remove, not per read
            present = self._present_tuple = tuple(self._present)
        return present

    @property
    def cores_present(self) -> int:
        return len(self._present)

    @property
    def online_per_core(self) -> Sequence[int]:
        """Online threads of each core index: a live view, read it, do not keep it."""
        return self._online_in_core

    @property
    def online_set(self) -> AbstractSet[int]:
        """The online threads now: a live view, no copy (``online_threads`` copies)."""
        return self._online

    def watch_threads(self, listener: Callable[[int, bool], None]) -> None:
        """Call ``listener(thread, online)`` on every thread onlined or offlined."""
        self._thread_listeners.append(listener)

    def _thread_changed(self, thread: int, online: bool) -> None:
        for listener in self._thread_listeners:
            listener(thread, online)

    @property
    def online_threads(self) -> frozenset[int]:
        gen, cached = self._online_cache
        if gen != self.cpu_generation:
            cached = frozenset(self._online)
            self._online_cache = (self.cpu_generation, cached)
        return cached

    def add_core(self, core: int | None = None) -> int:
        """DLPAR-add a core (lowest absent index by default); its threads start offline."""
        present = self._present_set
        if core is None:
            # every core below the hint is present: the scan resumes there
            free = next(
                (c for c in range(self._free_hint, self.cores_possible) if c not in present), None
            )
            if free is None:
                raise ValueError(f"all {self.cores_possible} possible cores are present")
            core = self._free_hint = free
        elif not 0 <= core < self.cores_possible:
            raise ValueError(
                f"core {core} is outside the possible cores 0..{self.cores_possible - 1}"
            )
        elif core in present:
            raise ValueError(f"core {core} is already present")
        self._present.insert(0, core)
        self._present_tuple = None
        present.add(core)
        self.cpu_generation += 1
        return core

    def remove_core(self, core: int) -> None:
        """DLPAR-remove a present core, offlining its threads first."""
        if core not in self._present_set:
            raise ValueError(f"core {core} is not present")
        if len(self._present) == 1:
            raise ValueError(f"core {core} is the last present core")
        threads = set(self.threads_of(core))
        if not (self._online - threads):
            raise ValueError(f"removing core {core} would offline the last online thread")
        going = sorted(self._online & threads)
        self._online -= threads
        self._online_in_core[core] = 0
        self._present.remove(core)
        self._present_tuple = None
        self._present_set.discard(core)
        self._free_hint = min(self._free_hint, core)
        self.cpu_generation += 1
        for thread in going:
            self._thread_changed(thread, False)

    def online_thread(self, thread: int) -> None:
        core = self.core_of(thread)
        if thread < 0 or core not in self._present_set:
            raise ValueError(f"thread {thread} belongs to no present core")
        if thread in self._online:
            raise ValueError(f"thread {thread} is already online")
        self._online.add(thread)
        self._online_in_core[core] += 1
        self.cpu_generation += 1
        self._thread_changed(thread, True)

    def offline_thread(self, thread: int) -> None:
        if thread not in self._online:
            raise ValueError(f"thread {thread} is not online")
        if len(self._online) == 1:
            raise ValueError(f"thread {thread} is the last online thread")
        self._online.remove(thread)
        self._online_in_core[self.core_of(thread)] -= 1
        self.cpu_generation += 1
        self._thread_changed(thread, False)

    # ---------------------------------------------------------------- memory
    @property
    def blocks_online(self) -> frozenset[int]:
        """Every online block, built from the runs (for tests and readers, never per event:
        ``has_block``, ``blocks_count`` and ``block_runs`` are what the model uses)."""
        gen, cached = self._blocks_cache
        if gen != self.memory_generation:
            cached = frozenset(
                b for first, last in self._memory.runs for b in range(first, last + 1)
            )
            self._blocks_cache = (self.memory_generation, cached)
        return cached

    def has_block(self, block: int) -> bool:
        """Whether ``block`` is online: a bisect over the runs."""
        return block in self._memory

    @property
    def memory_bytes(self) -> int:
        """Online memory now."""
        return len(self._memory) * self.memory_block_bytes

    @property
    def blocks_possible(self) -> int:
        return self.memory_possible_bytes // self.memory_block_bytes

    def add_block(self, block: int | None = None) -> int:
        """Online a memory block (lowest absent index by default), within the possible memory."""
        limit = self.blocks_possible
        if block is None:
            runs = self._memory.runs
            free: int | None = 0 if not runs or runs[0][0] > 0 else runs[0][1] + 1
            if free is not None and free >= limit:
                free = None
            if free is None:
                raise ValueError(
                    f"all {limit} possible memory blocks ({self.memory_possible_bytes} bytes) "
                    "are online"
                )
            block = free
        elif not 0 <= block < limit:
            raise ValueError(f"memory block {block} is outside the possible blocks 0..{limit - 1}")
        elif self.has_block(block):
            raise ValueError(f"memory block {block} is already online")
        self._memory.add(block)
        self.memory_generation += 1
        return block

    def remove_block(self, block: int) -> None:
        if not self.has_block(block):
            raise ValueError(f"memory block {block} is not online")
        if len(self._memory) == 1:
            raise ValueError(f"memory block {block} is the last online block")
        self._memory.discard(block)
        self.memory_generation += 1

    def block_runs(self) -> tuple[tuple[int, int], ...]:
        """The online blocks as sorted, disjoint ``(first, last)`` runs (kept as blocks change)."""
        return tuple(map(tuple, self._memory.runs))  # type: ignore[arg-type]

    @property
    def blocks_count(self) -> int:
        return len(self._memory)

    def highest_block(self) -> int:
        """The highest online block (the last run's end)."""
        return self._memory.runs[-1][1]

    def ram_ranges(self) -> list[tuple[int, int]]:
        """(start, size) of the online blocks, adjacent blocks merged, sorted by address."""
        size = self.memory_block_bytes
        return [(first * size, (last - first + 1) * size) for first, last in self._memory.runs]

    # ------------------------------------------------------------------ misc
    def copy(self) -> Machine:
        other = Machine.__new__(Machine)
        other.__dict__.update(self.__dict__)
        other._present = list(self._present)
        other._present_set = set(self._present_set)
        other._online = set(self._online)
        other._online_in_core = list(self._online_in_core)
        other._memory = self._memory.copy()
        other._thread_listeners = []
        return other

    def __repr__(self) -> str:
        return (
            f"Machine({self.cpu_model}, smt={self.smt}, cores={len(self._present)}/"
            f"{self.cores_possible}, memory={self.memory_bytes}/{self.memory_possible_bytes})"
        )
