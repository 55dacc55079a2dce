"""The strategy names, in compare order, without importing the strategies.

``engine.strategies`` owns the registry (name -> class) and refuses to import if
its classes and this tuple disagree; the CLI's parsers take the names from here so
``kdump-storm --help`` loads neither the strategies nor SimPy (issue 10).
"""

STRATEGY_NAMES: tuple[str, ...] = (
    "udev-reload",
    "udev-throttled",
    "udev-load-once",
    "fdt-hole",
    "crash-hotplug",
)
