"""Small hand-checkable scenarios, written as TOML like a user would."""

from __future__ import annotations

from engine.run.session import Session
from engine.scenario.load import Scenario, parse_scenario

UNLOAD_S = 0.05
LOAD_S = 0.7
RELOAD_S = UNLOAD_S + LOAD_S
# udev that costs no time: the old hand-checked arithmetic, reloads only
INSTANT_UDEV = 'event = "0s"\npid1 = "0s"\nthrottler_exec = "0s"'


def scenario(
    storms: str,
    *,
    smt: int = 1,
    present: int = 2,
    possible: int = 32,
    duration: str = "60s",
    probes: str = "[]",
    extra_kdump: str = "",
    thread_online: str = "2ms",
    fdt_hole: str = '"1MiB"',
    syscall: str = "kexec_file_load",
    load: str | None = None,
    udev: str = "",
) -> Scenario:
    load = load or f"{LOAD_S * 1000:g}ms"
    text = f"""
[scenario]
name = "hand-check"
seed = 7
duration = "{duration}"

[machine]
cpu_model = "POWER9"
smt = {smt}
cores_present = {present}
cores_possible = {possible}
memory = "4GiB"
memory_max = "16GiB"
memory_block = "256MiB"
thread_online = "{thread_online}"

[kdump]
crashkernel = "256MiB"
syscall = "{syscall}"
kernel = "20MiB"
initrd = "20MiB"
fdt_hole = {fdt_hole}
reload = {{ unload = "{UNLOAD_S * 1000:g}ms", load = "{load}" }}
{extra_kdump}

[udev]
{udev}

{storms}

[crash]
probes = {probes}
monte_carlo = 2000
"""
    return parse_scenario(text, "hand-check.toml")


def session(sc: Scenario, strategy: str) -> Session:
    return Session(sc, strategy)
