"""kdump-storm's Textual front end: watch a hotplug storm race kdump.

Everything the panels show comes from ``engine.session.Session``; the TUI
computes nothing of the model (see DESIGN.md).
"""
