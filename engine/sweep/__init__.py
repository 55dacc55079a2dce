"""Sweeps: a grid of scenario overrides x strategies x seeds, run and aggregated.

``values`` reads ``--vary`` value lists and ranges, ``grid`` the keys, the grid and
the overrides applied to the TOML document, ``plan`` validates every point before
anything runs, ``task`` runs one (point text, point, strategy, seed), ``stats`` and
``aggregate`` reduce seeds to a mean and a 95% interval, ``table`` reads and writes
the rows (CSV, Parquet), ``chart`` the series a plot draws. Only ``execute`` knows
Dask.
"""
