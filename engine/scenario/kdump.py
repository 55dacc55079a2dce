"""The [kdump] table and its reload, throttler and kernel_update subtables."""

from __future__ import annotations

from typing import Any

from engine.scenario.checks import (
    check_bootargs,
    check_hole_holds_initial_fdt,
    check_region_fit,
)
from engine.scenario.model import (
    KdumpSpec,
    KernelUpdateSpec,
    MachineSpec,
    ReloadSpec,
    ThrottlerSpec,
)
from engine.scenario.reader import Reader
from engine.scenario.schema import SCHEMA

KDUMP_KEYS = SCHEMA["kdump"].known


def read_kdump(r: Reader, data: dict[str, Any], machine: MachineSpec) -> KdumpSpec:
    w = "kdump"
    k = r.section(data.get(w), w)
    crashkernel = r.field(k, w, "crashkernel")
    base = r.field(k, w, "crash_base")
    kernel = r.field(k, w, "kernel")
    initrd = r.field(k, w, "initrd")
    purgatory = r.field(k, w, "purgatory")
    hole = r.field(k, w, "fdt_hole")
    wr, wt, wu = "kdump.reload", "kdump.throttler", "kdump.kernel_update"
    rl = r.section(k.get("reload"), wr)
    th = r.section(k.get("throttler"), wt)
    ku = r.section(k.get("kernel_update"), wu)
    syscall = r.field(k, w, "syscall")
    # arch_crash_hotplug_support() (include/linux/kexec.h): a kexec_file_load image
    # always supports hotplug; a kexec_load one only with KEXEC_CRASH_HOTPLUG_SUPPORT,
    # which kexec-tools passes for --hotplug and kdumpctl does not ask for
    hotplug = r.field(k, w, "hotplug")
    if hotplug is None:
        hotplug = syscall == "kexec_file_load"
    elif syscall == "kexec_file_load" and hotplug is False:
        r.error(
            "kdump.hotplug",
            "a kexec_file_load image always supports hotplug (arch_crash_hotplug_support); "
            "use syscall = 'kexec_load' for an image without it",
        )
    spec = KdumpSpec(
        crashkernel_bytes=crashkernel,
        crash_base_bytes=base,
        kernel_bytes=kernel,
        initrd_bytes=initrd,
        purgatory_bytes=purgatory,
        fdt_hole_bytes=hole,
        syscall=syscall,
        reload=ReloadSpec(unload=r.field(rl, wr, "unload"), load=r.field(rl, wr, "load")),
        throttler=ThrottlerSpec(
            sleep_s=r.field(th, wt, "sleep"),
            settle_timeout_s=r.field(th, wt, "settle_timeout"),
        ),
        kernel_update=KernelUpdateSpec(
            fixed_s=r.field(ku, wu, "fixed"),
            bandwidth_bytes_per_s=r.field(ku, wu, "bandwidth"),
        ),
        bootargs=r.field(k, w, "bootargs"),
        copy_bandwidth_bytes_per_s=r.field(k, w, "copy_bandwidth"),
        build_digest_s=r.field(k, w, "build_digest"),
        hotplug=bool(hotplug),
        service_start_s=r.field(k, w, "service_start"),
    )
    check_region_fit(r, k, machine, crashkernel, base, kernel, initrd, purgatory, hole)
    check_bootargs(r, spec.bootargs)
    if "fdt_hole" in k:
        check_hole_holds_initial_fdt(r, machine, spec.bootargs, hole)
    return spec
