"""Command line: ``kdump-storm <command> ...``; one module per command (see cli.main)."""
