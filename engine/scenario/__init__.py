"""Scenario files: the model dataclasses, the TOML reader, per-table readers, cross-field checks."""
