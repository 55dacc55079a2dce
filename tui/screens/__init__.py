"""Screens: the main storm view, help, and small prompts."""
