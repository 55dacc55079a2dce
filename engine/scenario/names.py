"""The strategy names, in compare order: a module of its own so the CLI's parsers
(``kdump-storm --help``) get them without importing the scenario model."""

STRATEGIES = ("udev-reload", "udev-throttled", "udev-load-once", "fdt-hole", "crash-hotplug")
