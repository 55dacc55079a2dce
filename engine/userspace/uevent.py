"""A uevent as udev sees it, and the ppc64 kdump rule (``98-kexec.rules.ppc64``) that matches it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Uevent:
    subsystem: str  # "cpu" | "memory"
    action: str  # "online" | "offline"
    ident: int  # thread id or memory block index


def ppc64_rule_matches(uevent: Uevent, *, cpu_rule: bool = True) -> bool:
    """``98-kexec.rules.ppc64``: CPU online and memory online/offline reload kdump.

    CPU offline is ignored on powerpc (an offline CPU may stay in the FDT).
    ``cpu_rule=False`` is the RFC's advice: comment out the CPU online line.
    """
    if uevent.subsystem == "cpu":
        return cpu_rule and uevent.action == "online"
    return uevent.subsystem == "memory"
