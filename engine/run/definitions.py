"""What the run's figures mean, in one place: the TUI's help, ``kdump-storm run``'s
footnote and the README print these words (tests check that they say the same)."""

from __future__ import annotations

# (term, definition); the figures are computed in engine/run/metrics.py
DEFINITIONS: tuple[tuple[str, str], ...] = (
    (
        "exposure",
        "the integral over [0, now] of P(no dump): seconds during which a panic on a "
        "uniformly random online CPU gets no dump, each weighted by that probability",
    ),
    ("at risk", "seconds during which P(no dump) > 0 (for some online CPU or for all)"),
    (
        "window",
        "a maximal stretch with P(no dump) > 0; 'longest' is the longest of them",
    ),
    (
        "incomplete",
        "seconds during which a dump would be taken but the elfcorehdr lacks a PT_LOAD "
        "for some online memory (that memory is missing from the vmcore)",
    ),
    (
        "settle",
        "from the last uevent to the instant from which the image stays loaded and "
        "complete; 'never' if it does not by the end of the run",
    ),
    (
        "P(captured)",
        "share of Monte Carlo panics, at uniformly random instants of [0, now] on a "
        "uniformly random online CPU, that give a complete dump, with its 95% Wilson "
        "score interval",
    ),
)


def footnote(width: int = 100) -> str:
    """The definitions as a footnote, each wrapped to ``width`` columns."""
    import textwrap

    lines = []
    for term, text in DEFINITIONS:
        lines += textwrap.wrap(
            f"{term}: {text}.", width, initial_indent="  ", subsequent_indent="    "
        )
    return "\n".join(lines)
