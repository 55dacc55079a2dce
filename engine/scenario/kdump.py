"""The [kdump] table and its reload, throttler and kernel_update subtables."""

from __future__ import annotations

from typing import Any

from engine.scenario.checks import check_region_fit
from engine.scenario.model import (
    DEFAULT_BOOTARGS,
    GIB,
    MIB,
    SYSCALLS,
    KdumpSpec,
    KernelUpdateSpec,
    MachineSpec,
    ReloadSpec,
    ThrottlerSpec,
)
from engine.scenario.reader import (
    Reader,
    to_bandwidth,
    to_bool,
    to_choice,
    to_hole,
    to_positive_duration,
    to_positive_size,
    to_str,
)
from engine.units import Duration, parse_distribution, parse_duration, parse_size

KDUMP_KEYS = (
    "crashkernel",
    "crash_base",
    "syscall",
    "kernel",
    "initrd",
    "purgatory",
    "fdt_hole",
    "reload",
    "throttler",
    "kernel_update",
    "bootargs",
    "copy_bandwidth",
    "udev_latency",
    "build_digest",
    "hotplug",
    "service_start",
)


def read_kdump(r: Reader, data: dict[str, Any], machine: MachineSpec) -> KdumpSpec:
    w = "kdump"
    k = r.table(data.get(w), w, KDUMP_KEYS)
    crashkernel = r.get(k, w, "crashkernel", to_positive_size, 512 * MIB)
    base = r.get(k, w, "crash_base", parse_size, None)
    kernel = r.get(k, w, "kernel", to_positive_size, 40 * MIB)
    initrd = r.get(k, w, "initrd", parse_size, 30 * MIB)
    purgatory = r.get(k, w, "purgatory", to_positive_size, 64 << 10)
    hole = r.get(k, w, "fdt_hole", to_hole, MIB)
    wr, wt, wu = "kdump.reload", "kdump.throttler", "kdump.kernel_update"
    rl = r.table(k.get("reload"), wr, ("unload", "load"))
    th = r.table(k.get("throttler"), wt, ("sleep", "settle_timeout", "kdumpctl_poll"))
    ku = r.table(k.get("kernel_update"), wu, ("fixed", "bandwidth"))
    syscall = r.get(k, w, "syscall", to_choice(SYSCALLS), "kexec_file_load")
    # arch_crash_hotplug_support() (include/linux/kexec.h): a kexec_file_load image
    # always supports hotplug; a kexec_load one only with KEXEC_CRASH_HOTPLUG_SUPPORT,
    # which kexec-tools passes for --hotplug and kdumpctl does not ask for
    hotplug = r.get(k, w, "hotplug", to_bool, syscall == "kexec_file_load")
    if syscall == "kexec_file_load" and hotplug is False:
        r.error(
            "kdump.hotplug",
            "a kexec_file_load image always supports hotplug (arch_crash_hotplug_support); "
            "use syscall = 'kexec_load' for an image without it",
        )
    service_start = r.get(k, w, "service_start", parse_duration, None)
    spec = KdumpSpec(
        crashkernel_bytes=crashkernel,
        crash_base_bytes=base,
        kernel_bytes=kernel,
        initrd_bytes=initrd,
        purgatory_bytes=purgatory,
        fdt_hole_bytes=hole,
        syscall=syscall,
        reload=ReloadSpec(
            unload=r.get(rl, wr, "unload", parse_distribution, Duration("fixed", 0.05)),
            load=r.get(rl, wr, "load", parse_distribution, Duration("uniform", 0.5, 1.0)),
        ),
        throttler=ThrottlerSpec(
            sleep_s=r.get(th, wt, "sleep", parse_duration, 1.0),
            settle_timeout_s=r.get(th, wt, "settle_timeout", parse_duration, 3.0),
            kdumpctl_poll_s=r.get(th, wt, "kdumpctl_poll", to_positive_duration, 5.0),
        ),
        kernel_update=KernelUpdateSpec(
            fixed_s=r.get(ku, wu, "fixed", parse_duration, 20e-6),
            bandwidth_bytes_per_s=r.get(ku, wu, "bandwidth", to_bandwidth, 3.0 * GIB),
        ),
        bootargs=r.get(k, w, "bootargs", to_str, DEFAULT_BOOTARGS),
        copy_bandwidth_bytes_per_s=r.get(k, w, "copy_bandwidth", to_bandwidth, 1.0 * GIB),
        udev_latency_s=r.get(k, w, "udev_latency", parse_duration, 0.005),
        build_digest_s=r.get(k, w, "build_digest", parse_duration, 0.2),
        hotplug=bool(hotplug),
        service_start_s=service_start,
    )
    check_region_fit(r, k, machine, crashkernel, base, kernel, initrd, purgatory, hole)
    return spec
