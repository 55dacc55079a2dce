"""Test-wide settings.

Hypothesis's default 200 ms deadline per example is a timing assertion: on a shared
2-core machine a slow example fails a correct test (tests/test_sweep_stats.py's
interval property did, under load). Speed is measured in benchmarks/, so examples have
no deadline unless a test sets one on purpose (tests/test_bad_dtb_input.py bounds a
decoder that could hang).
"""

from hypothesis import settings

settings.register_profile("kdump-storm", deadline=None)
settings.load_profile("kdump-storm")
