"""Run a batch of mutants through the CLI in one child process, under a memory cap.

    python3 -m tests.corpus.harness {dtb|scenario} START COUNT WORKDIR [CAP_MIB] [LIMIT_S]

Mutants START .. START+COUNT-1 (``dtb_mutants`` / ``scenario_mutants``) are written to
WORKDIR (``m.dtb``, ``s.toml``: the last one stays there, so a batch of one reproduces a
failure) and run through ``cli.main.main(argv)``, the function ``python3 -m cli.main``
calls, with stdout and stderr captured. The argparse parser is built once per process
(``build_parser`` is cached) because building it costs more than validating a scenario.

Per mutant:

- dtb: ``inspect m.dtb``; ``validate s.toml`` (a small scenario whose
  ``machine.from_dtb`` is the mutant); if it passes, ``run s.toml --format json`` under
  every strategy; if it fails, ``run s.toml`` must fail too, with exit 2.
- scenario: ``validate s.toml``; if it passes, ``run`` under every strategy.

A failure is: an exception out of ``main`` (a traceback), a MemoryError (the address
space is capped at CAP_MIB), a mutant that takes more than LIMIT_S seconds (SIGALRM), an
exit status other than 0 or 2, "Traceback" on stderr, an exit 2 whose error lines do not
name the scenario or DTB, or a run of a validated scenario that does not end with the
metrics of every strategy. Each is printed as a JSON line naming the mutant's seed; the
last line is the batch's summary. Before each mutant its seed is written to
WORKDIR/current, so the parent can name the mutant a hang or a hard crash was in.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import resource
import signal
import sys
import time
import traceback
from pathlib import Path

from engine.strategies import STRATEGY_NAMES


class MutantTimeout(BaseException):
    """Raised by SIGALRM: a BaseException, so no ``except Exception`` in the CLI eats it."""


def _alarm(signum: int, frame: object) -> None:
    raise MutantTimeout


def dtb_scenario(seed: int) -> str:
    """The small scenario a DTB mutant is run in (the storm drawn from the seed)."""
    storms = (
        "",
        '[[storm]]\nat = "0.5s"\naction = "cpu-add"\ncores = 1\nevery = "100ms"\n',
        '[[storm]]\nat = "0.5s"\naction = "cpu-remove"\ncores = 1\nevery = "100ms"\n',
        '[[storm]]\nat = "0.5s"\naction = "memory-add"\nsize = "256MiB"\nevery = "100ms"\n',
        '[[storm]]\nat = "0.5s"\naction = "memory-remove"\nsize = "256MiB"\nevery = "100ms"\n',
    )
    hole = ('"auto"', '"64KiB"', '"1MiB"')[seed % 3]
    memory_max = 'memory_max = "4GiB"\n' if seed % 2 else ""
    return (
        f'[scenario]\nname = "dtb mutant {seed}"\nseed = {seed}\nduration = "2s"\n'
        f'[machine]\nfrom_dtb = "m.dtb"\n{memory_max}'
        f'[kdump]\ncrashkernel = "512MiB"\nfdt_hole = {hole}\n'
        f"{storms[seed % len(storms)]}"
        '[crash]\nmonte_carlo = 10\nprobes = [{ at = "1.5s", cpu = "newest" }]\n'
    )


def names_a_file(line: str) -> bool:
    """``[kdump-storm: ]FILE[:LINE]: ...`` where FILE exists (the scenario, the DTB, a
    capture it names), and short: one line a user reads."""
    head = line.removeprefix("kdump-storm: ").split(":", 1)[0]
    return len(line) < 600 and bool(head) and os.path.exists(head)


class Batch:
    def __init__(self, kind: str, workdir: Path, limit_s: float) -> None:
        import cli.main

        cli.main.build_parser = functools.lru_cache(maxsize=None)(cli.main.build_parser)
        self.main = cli.main.main
        self.kind = kind
        self.workdir = workdir
        self.limit_s = limit_s
        self.scenario = str(workdir / "s.toml")
        self.dtb = str(workdir / "m.dtb")
        self.counts = {"mutants": 0, "validated": 0, "ran": 0, "refused": 0}
        self.failures: list[dict[str, object]] = []
        self.seed = -1

    def fail(self, what: str, argv: list[str], detail: str) -> None:
        self.failures.append(
            {"kind": self.kind, "seed": self.seed, "what": what, "argv": argv, "detail": detail}
        )

    def cli(self, *args: str) -> tuple[int, str, str] | None:
        """``main(args)``: (status, stdout, stderr), or None after recording a failure."""
        argv = list(args)
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = self.main(argv)
        except MemoryError:
            self.fail("MemoryError (over the address-space cap)", argv, err.getvalue()[-500:])
            return None
        except MutantTimeout:
            raise
        except BaseException:  # a traceback the user would have seen
            self.fail("traceback", argv, traceback.format_exc()[-1500:])
            return None
        stderr = err.getvalue()
        if status not in (0, 2):
            self.fail(f"exit status {status}", argv, stderr[-500:])
            return None
        if "Traceback" in stderr:
            self.fail("Traceback on stderr", argv, stderr[-1500:])
            return None
        if status == 2:
            errors = [x for x in stderr.splitlines() if ": warning: " not in x]
            if not errors or not all(names_a_file(x) for x in errors):
                self.fail("exit 2 without one line naming the file", argv, stderr[-800:])
                return None
        return status, out.getvalue(), stderr

    def run_everywhere(self) -> None:
        """validate accepted it: a run under every strategy ends with all their metrics."""
        args = ["run", self.scenario, "--format", "json"]
        for name in STRATEGY_NAMES:
            args += ["--strategy", name]
        got = self.cli(*args)
        if got is None:
            return
        status, out, err = got
        if status != 0:
            self.fail("validate accepted it but run refused it", args, err[-800:])
            return
        ran = json.loads(out)["strategies"]
        if list(ran) != list(STRATEGY_NAMES) or not all("trace_digest" in m for m in ran.values()):
            self.fail("run did not report every strategy", args, out[-500:])
            return
        self.counts["ran"] += 1

    def one(self, seed: int) -> None:
        self.seed = seed
        (self.workdir / "current").write_text(str(seed))
        if self.kind == "dtb":
            from tests.corpus.dtb_mutants import dtb_mutant

            Path(self.dtb).write_bytes(dtb_mutant(seed).blob)
            Path(self.scenario).write_text(dtb_scenario(seed))
            self.cli("inspect", self.dtb)
        else:
            from tests.corpus.scenario_mutants import scenario_mutant

            mutant = scenario_mutant(seed)
            for name, blob in mutant.files.items():
                (self.workdir / name).write_bytes(blob)
            Path(self.scenario).write_bytes(mutant.text.encode("utf-8", "surrogatepass"))
        got = self.cli("validate", self.scenario)
        if got is None:
            return
        if got[0] == 0:
            self.counts["validated"] += 1
            self.run_everywhere()
            return
        self.counts["refused"] += 1
        if self.kind == "dtb":  # the importer is one gate: what validate refuses, run refuses
            again = self.cli("run", self.scenario)
            if again is not None and again[0] != 2:
                self.fail("validate refused it but run accepted it", ["run"], again[2][-300:])

    def run(self, start: int, count: int) -> None:
        signal.signal(signal.SIGALRM, _alarm)
        for seed in range(start, start + count):
            self.counts["mutants"] += 1
            signal.setitimer(signal.ITIMER_REAL, self.limit_s)
            try:
                self.one(seed)
            except MutantTimeout:
                self.fail(f"took more than {self.limit_s} s", [], "")
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            for failure in self.failures:
                print(json.dumps({"failure": failure}), flush=True)
            self.failures.clear()


def main(argv: list[str]) -> int:
    kind, start, count, workdir = argv[0], int(argv[1]), int(argv[2]), Path(argv[3])
    cap_mib = int(argv[4]) if len(argv) > 4 else 1024
    limit_s = float(argv[5]) if len(argv) > 5 else 20.0
    cap = cap_mib << 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    workdir.mkdir(parents=True, exist_ok=True)
    os.chdir(workdir)
    began = time.monotonic()
    batch = Batch(kind, workdir.resolve(), limit_s)
    batch.run(start, count)
    summary = {
        "kind": kind,
        "start": start,
        **batch.counts,
        "elapsed_s": round(time.monotonic() - began, 2),
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10,
    }
    print(json.dumps({"summary": summary}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
