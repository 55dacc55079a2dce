"""What a scenario is: the frozen dataclasses and the constants they draw on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.machine.topology import MAX_BLOCKS as MAX_BLOCKS
from engine.machine.topology import MAX_MEMORY_BYTES as MAX_MEMORY_BYTES
from engine.machine.topology import SECTION_BYTES as SECTION_BYTES
from engine.units import Duration

CPU_MODELS = ("POWER8", "POWER9", "POWER10")
SMT_WIDTHS = (1, 2, 4, 8)
ACTIONS = ("cpu-add", "cpu-remove", "memory-add", "memory-remove", "smt")
SYSCALLS = ("kexec_file_load", "kexec_load")
PROBE_CPUS = ("newest", "random")
MAX_THREADS = 8192  # NR_CPUS ceiling of ppc64 kernels
MAX_CHURN_EVENTS = 100_000
# every phase together: storm expansion is O(n log n), a run holds one process per event
MAX_STORM_EVENTS = 200_000
# the shipped scenarios are a few KiB; 8 MiB still holds ~300k crash probes
MAX_SCENARIO_BYTES = 8 << 20
DEFAULT_BOOTARGS = (
    "irqpoll maxcpus=1 noirqdistrib reset_devices cgroup_disable=memory numa=off "
    "udev.children-max=2 ehea.use_mcs=0 panic=10 kvm_cma_resv_ratio=0 "
    "transparent_hugepage=never novmcoredd hugetlb_cma=0"
)
MIB = 1 << 20
GIB = 1 << 30


@dataclass(frozen=True)
class MachineSpec:
    cores_present: int
    cores_possible: int
    memory_bytes: int
    memory_possible_bytes: int
    cpu_model: str = "POWER9"
    smt: int = 8
    memory_block_bytes: int = 256 * MIB
    from_dtb: Path | None = None
    lpar: bool = True
    rma_bytes: int = GIB
    thread_online_s: float = 0.002
    # threads per core online at boot (ppc64_cpu --smt=N before the run); None = smt
    boot_smt: int | None = None

    @property
    def threads_possible(self) -> int:
        return self.cores_possible * self.smt


@dataclass(frozen=True)
class ReloadSpec:
    unload: Duration = Duration("fixed", 0.05)
    load: Duration = Duration("uniform", 0.5, 1.0)


@dataclass(frozen=True)
class ThrottlerSpec:
    sleep_s: float = 1.0
    settle_timeout_s: float = 3.0


# udev-reload's rule forms: RHEL7's RUN+="systemd-run kdumpctl reload" (one serialised
# reload per matching event) or the older PROGRAM="systemctl try-restart kdump.service"
RELOAD_RULES = ("systemd-run", "try-restart")


@dataclass(frozen=True)
class UdevSpec:
    """The [udev] table: systemd-udevd and PID 1 as every udev strategy meets them."""

    children_max: int | None = None  # None: udevd's own formula from CPUs and RAM
    # a worker's time on an event whose rules run no program: an assumption, no source
    event_s: float = 0.003
    # PID 1's time per matching event (systemctl is-active + systemd-run together):
    # 86 s / 3840 events, DeVolder's RHEL8 one-DIMM figure (LKML, 14 Dec 2020)
    pid1_s: float = 86.0 / 3840
    # systemd-run returning to the started program's first line: an assumption
    throttler_exec_s: float = 0.010
    reload_rule: str = "systemd-run"


@dataclass(frozen=True)
class KernelUpdateSpec:
    fixed_s: float = 20e-6
    # calibrated on libfdt itself: benchmarks/bench_fdt.py's literal update_cpus_node
    # at 256 SMT8 cores, ~820 MB moved by the model's count, took 150-250 ms here
    # (3.3-5.5 GB/s, with and without the other core busy); we take the low end
    bandwidth_bytes_per_s: float = 3.0 * GIB

    def duration_s(self, moved_bytes: int) -> float:
        """One in-kernel update: the fixed cost plus the bytes moved at the bandwidth."""
        return self.fixed_s + moved_bytes / self.bandwidth_bytes_per_s


@dataclass(frozen=True)
class KdumpSpec:
    crashkernel_bytes: int = 512 * MIB
    crash_base_bytes: int | None = None
    syscall: str = "kexec_file_load"
    kernel_bytes: int = 40 * MIB
    initrd_bytes: int = 30 * MIB
    purgatory_bytes: int = 64 << 10
    fdt_hole_bytes: int | None = MIB  # None = "auto"
    reload: ReloadSpec = field(default_factory=ReloadSpec)
    throttler: ThrottlerSpec = field(default_factory=ThrottlerSpec)
    kernel_update: KernelUpdateSpec = field(default_factory=KernelUpdateSpec)
    bootargs: str = DEFAULT_BOOTARGS
    copy_bandwidth_bytes_per_s: float = 1.0 * GIB
    # reading the files, building the FDT and elfcorehdr and the SHA-256 digest of
    # every segment: no source times them; an assumption, a scenario key
    build_digest_s: float = 0.2
    # the image is loaded with hotplug support (kexec_file_load: always; kexec_load:
    # only with kexec-tools --hotplug, which kdumpctl does not pass)
    hotplug: bool = True
    # kdump.service's first load starts at this time; None = loaded before the run
    service_start_s: float | None = None


@dataclass(frozen=True)
class StormPhase:
    index: int
    at_s: float
    action: str
    count: int  # cores, or memory blocks
    every_s: float
    jitter_s: float = 0.0
    line: int | None = None
    threads: int | None = None  # an smt phase: the SMT mode it switches to

    @property
    def last_s(self) -> float:
        """Latest possible time of the phase's last event."""
        return self.at_s + (self.count - 1) * self.every_s + self.jitter_s


@dataclass(frozen=True, slots=True)
class CaptureStep:
    """One storm action from the capture, at ``t_s`` after its first event."""

    t_s: float
    action: str  # core-add | core-remove | thread-online | thread-offline |
    # block-added | block-online | block-offline | block-removed
    target: int  # the core, thread or memory block
    threads: tuple[int, ...] = ()  # core-add / core-remove: threads in captured order
    gaps_s: tuple[float, ...] = ()  # from one thread's uevent to the next thread's start
    line: int = 0


@dataclass(frozen=True)
class CapturedStorm:
    index: int  # its [[storm]] index
    at_s: float
    source: str
    form: str  # "udevadm monitor" | "journal"
    steps: tuple[CaptureStep, ...]
    span_s: float  # first to last replayed event
    ignored: tuple[tuple[str, int], ...] = ()  # ("net add", 3): what was counted, not replayed
    peak_blocks: int = 0  # blocks the machine needs possible: the highest one onlined, + 1

    @property
    def last_s(self) -> float:
        return self.at_s + self.span_s


@dataclass(frozen=True)
class ChurnSpec:
    index: int
    start_s: float
    end_s: float
    rate_per_s: float
    cpu_fraction: float = 0.5
    add_fraction: float = 0.5


@dataclass(frozen=True)
class Probe:
    at_s: float
    cpu: int | str  # thread id, "newest" or "random"


@dataclass(frozen=True)
class CrashSpec:
    probes: tuple[Probe, ...] = ()
    monte_carlo: int = 10000


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: int
    duration_s: float
    machine: MachineSpec
    kdump: KdumpSpec
    storms: tuple[StormPhase, ...] = ()
    captures: tuple[CapturedStorm, ...] = ()  # [[storm]] from_capture, or run --capture
    churn: tuple[ChurnSpec, ...] = ()
    crash: CrashSpec = field(default_factory=CrashSpec)
    udev: UdevSpec = field(default_factory=UdevSpec)
    strategies: tuple[str, ...] = ()  # [compare]: the reader fills in every strategy
    source: str = "<scenario>"
    description: str = ""
