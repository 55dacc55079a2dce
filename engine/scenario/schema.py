"""Every scenario key, declared once: its table, type, default, unit and meaning.

The readers (``engine.scenario.machine``, ``kdump``, ``events``, ``load``) take
each key's converter and default from here through ``Reader.field``; the known
keys of each table (and so ``validate``'s "unknown key; did you mean ..."
messages) are this table's; and the key reference, docs/scenario_keys.md, is
rendered from it (``python3 -m engine.scenario.schema > docs/scenario_keys.md``;
a test keeps the file current). A default of ``REQUIRED`` must be given;
``COMPUTED`` means the reader works it out, as the key's ``doc`` says.
"""

from __future__ import annotations

import sys

from engine.scenario.model import (
    CPU_MODELS,
    DEFAULT_BOOTARGS,
    RELOAD_RULES,
    SMT_WIDTHS,
    SYSCALLS,
)
from engine.scenario.reader import (
    COMPUTED,
    REQUIRED,
    to_bandwidth,
    to_bool,
    to_choice,
    to_hole,
    to_int,
    to_int_choice,
    to_positive_duration,
    to_positive_int,
    to_positive_size,
    to_str,
)
from engine.scenario.schema_events import EVENT_TABLES
from engine.scenario.schema_key import Key, Table
from engine.units import Duration, format_size, parse_distribution, parse_duration, parse_size

MIB = 1 << 20
GIB = 1 << 30


WORKER_NUM_MAX = 2048  # systemd src/udev/udev-def.h: the ceiling of children_max


def to_children_max(value: object) -> int | None:
    """``"auto"`` (None: udevd's formula) or a worker count from 1 to 2048."""
    if value == "auto":
        return None
    n = to_positive_int(value)
    if n > WORKER_NUM_MAX:
        raise ValueError(f"udevd caps children_max at {WORKER_NUM_MAX} (WORKER_NUM_MAX), got {n}")
    return n


# keys that are gone: dotted key -> the one-line reason, naming what replaced it
REMOVED: dict[str, str] = {
    "kdump.udev_latency": "removed: udev is a queue now; use [udev] event (a worker's time "
    "per event) and [udev] pid1 (PID 1's time per matching event)",
    "kdump.throttler.kdumpctl_poll": "removed: kdumpctl waits with a blocking flock and starts "
    "as soon as the running one exits (kdumpctl single_instance_lock); delete the key",
}


TABLES: tuple[Table, ...] = (
    Table(
        "scenario",
        "what the run is called and how long it lasts",
        (
            Key("name", to_str, COMPUTED, "", "a name for reports (default: the file's stem)"),
            Key("description", to_str, "", "", "free text"),
            Key("seed", to_int, 0, "", "seeds every random stream (an integer)"),
            Key("duration", to_positive_duration, REQUIRED, "s", "simulated time, above zero"),
        ),
    ),
    Table(
        "machine",
        "the pseries LPAR: cores, threads and memory (required)",
        (
            Key("cpu_model", to_choice(CPU_MODELS), "POWER9", "", "one of POWER8, POWER9, POWER10"),
            Key("smt", to_int_choice(SMT_WIDTHS), 8, "", "threads per core: 1, 2, 4 or 8"),
            Key("cores_present", to_int, REQUIRED, "", "cores at boot (not with from_dtb)"),
            Key("cores_possible", to_int, REQUIRED, "", "cores the LPAR may grow to"),
            Key("memory", to_positive_size, REQUIRED, "bytes", "memory at boot"),
            Key(
                "memory_block",
                to_positive_size,
                256 * MIB,
                "bytes",
                "a power of two, at least the 16 MiB ppc64 section",
            ),
            Key(
                "memory_max",
                to_positive_size,
                COMPUTED,
                "bytes",
                "memory hot-add bound (default: the peak the scripted storms reach; churn "
                "stays below it)",
            ),
            Key("lpar", to_bool, True, "", "a logical partition (sets the crash_base rule)"),
            Key(
                "rma",
                to_positive_size,
                COMPUTED,
                "bytes",
                "real mode area, at most memory (default: min(1 GiB, memory), typical pseries)",
            ),
            Key(
                "thread_online",
                parse_duration,
                0.002,
                "s",
                "between the per-thread online uevents of one core add",
            ),
            Key(
                "boot_smt",
                to_int,
                COMPUTED,
                "",
                "threads per core online at boot (ppc64_cpu --smt=N before the run), 1 to "
                "smt (default: smt)",
            ),
            Key(
                "from_dtb",
                to_str,
                None,
                "",
                "a DTB, relative to the scenario file, read by the importer run uses: "
                "cpu_model, smt, cores, memory and memory_block come from it and may not be "
                "given too",
            ),
        ),
    ),
    Table(
        "kdump",
        "the crash kernel's reservation, its segments and how kdump loads them",
        (
            Key(
                "crashkernel", to_positive_size, 512 * MIB, "bytes", "the crashkernel= reservation"
            ),
            Key(
                "crash_base",
                parse_size,
                None,
                "bytes",
                "where it starts (default: the kernel's, min(RMA/2, 512 MiB) on an LPAR, "
                "128 MiB cap otherwise)",
            ),
            Key("syscall", to_choice(SYSCALLS), "kexec_file_load", "", "or kexec_load"),
            Key(
                "kernel",
                to_positive_size,
                40 * MIB,
                "bytes",
                "capture kernel (a typical ppc64le distribution size, not a published number)",
            ),
            Key("initrd", parse_size, 30 * MIB, "bytes", "capture initrd (typical, as kernel)"),
            Key("purgatory", to_positive_size, 64 << 10, "bytes", "the purgatory segment"),
            Key(
                "fdt_hole",
                to_hole,
                MIB,
                "bytes",
                'the RFC\'s fixed FDT hole; "auto" = sized by the kernel formula',
            ),
            Key("bootargs", to_str, DEFAULT_BOOTARGS, "", "the capture kernel's command line"),
            Key(
                "copy_bandwidth",
                to_bandwidth,
                1.0 * GIB,
                "bytes/s",
                "copying segments during a load",
            ),
            Key(
                "build_digest",
                parse_duration,
                0.2,
                "s",
                "a load reading the kernel and initrd, building the FDT and elfcorehdr and the "
                "SHA-256 digest of every segment (an assumption: no source times it); "
                "kexec_file_load holds the kexec lock through it, kexec_load does not",
            ),
            Key(
                "hotplug",
                to_bool,
                COMPUTED,
                "",
                "the image is loaded with hotplug support (default: true for kexec_file_load, "
                "which always has it; false for kexec_load, since kdumpctl does not pass "
                "kexec-tools' --hotplug)",
            ),
            Key(
                "service_start",
                parse_duration,
                None,
                "s",
                "kdump.service's first load starts then (default: loaded before the run)",
            ),
        ),
        subtables=("reload", "throttler", "kernel_update"),
    ),
    Table(
        "kdump.reload",
        "one kdumpctl reload: unload, then load (fixed, uniform(a, b) or lognormal(m, s))",
        (
            Key("unload", parse_distribution, Duration("fixed", 0.05), "s", "kexec -p -u"),
            Key(
                "load",
                parse_distribution,
                Duration("uniform", 0.5, 1.0),
                "s",
                "kexec -p, whole (kdump-utils 227c185)",
            ),
        ),
    ),
    Table(
        "kdump.throttler",
        "kdump-udev-throttler (kdumpctl's own lock is a blocking flock: no key)",
        (
            Key("sleep", parse_duration, 1.0, "s", "the throttler's sleep before settle"),
            Key("settle_timeout", parse_duration, 3.0, "s", "udevadm settle --timeout"),
        ),
    ),
    Table(
        "udev",
        "systemd-udevd and PID 1 as every udev strategy meets them (engine/userspace/udev.py)",
        (
            Key(
                "children_max",
                to_children_max,
                None,
                "",
                'udevd\'s workers; "auto" (default): min(2 x CPUs + 16, max(RAM / 128 MiB, 10), '
                "2048) from the boot machine, as udev_config_set_default_children_max()",
            ),
            Key(
                "event",
                parse_duration,
                0.003,
                "s",
                "a worker's time on an event, whatever its rules (an assumption: no source)",
            ),
            Key(
                "pid1",
                parse_duration,
                86.0 / 3840,
                "s",
                "PID 1's time per matching event (systemctl is-active + systemd-run): "
                "86 s / 3840, DeVolder's RHEL8 one-DIMM figure",
            ),
            Key(
                "throttler_exec",
                parse_duration,
                0.010,
                "s",
                "systemd-run returning to the started program's first line (an assumption)",
            ),
            Key(
                "reload_rule",
                to_choice(RELOAD_RULES),
                "systemd-run",
                "",
                'udev-reload\'s rule: "systemd-run" (RHEL7, one serialised reload per event) or '
                '"try-restart" (systemctl try-restart: systemd merges requests)',
            ),
        ),
    ),
    Table(
        "kdump.kernel_update",
        "an in-kernel update: no published timing, a model: fixed + bytes moved / bandwidth "
        "(calibrated on libfdt, see bench_fdt)",
        (
            Key("fixed", parse_duration, 20e-6, "s", "per update"),
            Key("bandwidth", to_bandwidth, 3.0 * GIB, "bytes/s", "bytes libfdt memmoves"),
        ),
    ),
    *EVENT_TABLES,
)
SCHEMA: dict[str, Table] = {t.name: t for t in TABLES}
TOP_LEVEL: tuple[str, ...] = tuple(t.name for t in TABLES if "." not in t.name)


def table_of(where: str) -> Table:
    """The schema table of a dotted place: ``storm[2]`` -> storm, ``crash.probes[0]`` -> probes."""
    parts = [p.split("[", 1)[0] for p in where.split(".")]
    return SCHEMA[".".join(parts)]


def shown(key: Key) -> str:
    """The default as the reference writes it (in the key's own unit)."""
    value = key.default
    if value is REQUIRED:
        return "required"
    if value is COMPUTED:
        return "see text"
    if value is None:
        return "none"
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if key.unit == "bytes" and isinstance(value, int):
        return format_size(value).replace(" ", "")
    if key.unit == "bytes/s" and isinstance(value, float):
        return format_size(int(value)).replace(" ", "") + "/s"
    if key.unit == "s" and isinstance(value, float):
        for unit, factor in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
            if value >= factor or unit == "us":
                return f"{value / factor:.6g}{unit}"
    if isinstance(value, str):
        return f'"{value}"' if len(value) < 30 else "(long: see engine/scenario/model.py)"
    return repr(value) if not isinstance(value, tuple) else "[]"


def reference() -> str:
    """The key reference in Markdown, one section per table."""
    lines = [
        "# Scenario keys",
        "",
        "Generated from `engine/scenario/schema.py` by `python3 -m engine.scenario.schema`;",
        'do not edit by hand. Sizes take units ("512MiB"), durations too ("250ms"), see',
        "`engine/units.py`. At least one core and one memory block always stay present.",
    ]
    for table in TABLES:
        header = f"[[{table.name}]]" if table.array else f"[{table.name}]"
        lines += ["", f"## `{header}`", "", table.doc[0].upper() + table.doc[1:] + ".", ""]
        lines += ["| key | unit | default | meaning |", "|---|---|---|---|"]
        for key in table.keys:
            lines.append(f"| `{key.name}` | {key.unit or '-'} | {shown(key)} | {key.doc} |")
        if table.subtables:
            subs = ", ".join(f"`[{table.name}.{s}]`" for s in table.subtables)
            lines += ["", f"Subtables: {subs}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(reference())
