"""The sweep's progress bar: drawn on a terminal, silent otherwise."""

from __future__ import annotations

import io

from cli.progress import Progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_runs_done_rate_and_eta_on_a_terminal():
    clock = iter([0.0, 2.0, 2.0]).__next__  # started at 0; 4 runs by t = 2 s: 2 runs/s
    stream = Tty()
    bar = Progress(10, stream, clock=clock)
    bar.done = 3
    bar.advance()  # the 4th of 10: 6 left at 2 runs/s -> ETA 3 s
    assert stream.getvalue().startswith("\r[" + "#" * 12 + "." * 18 + "] 4/10 runs")
    assert "2.0 runs/s  ETA 3s" in stream.getvalue()


def test_progress_writes_nothing_when_stderr_is_not_a_terminal():
    stream = io.StringIO()
    bar = Progress(3, stream)
    for _ in range(3):
        bar.advance()
    bar.close()
    assert stream.getvalue() == "" and bar.done == 3
