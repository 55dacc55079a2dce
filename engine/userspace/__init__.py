"""Userspace: udev rules and uevents, the throttler, and kdumpctl's reload."""
