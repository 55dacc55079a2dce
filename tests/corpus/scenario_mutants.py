"""Seeded mutants of the shipped scenarios/*.toml: ``scenario_mutant(seed) -> Mutant``.

Each mutant starts from one shipped scenario made small (``shrunk``: 3 s simulated, at
most 4 cores present of 12, 4 GiB, storms of 2 cores or 2 blocks, churn of about 5
events, 20 Monte Carlo samples) so that one that validates is cheap to run under every
strategy. Then, drawn by the seed, 6% get one or two plausible edits (most validate)
and the rest one to three hostile ones (most are refused), from:

- a key deleted; a key (present, or any key the schema knows) set to a hostile value:
  huge, negative, NaN, infinite, 2^64, 4,400 digits, empty, unicode, NUL, bidi marks;
- a plausible other value (so that many mutants still validate and get run);
- a type swapped (number <-> string, value -> list or inline table); a number scaled;
- nesting hundreds deep; an unknown key or table; a storm or churn phase duplicated
  and shifted, or turned into its opposite (overlapping add and remove);
- ``machine.from_dtb`` set to a real DTB or to a DTB mutant (``dtb_mutants``), with or
  without the keys it replaces;
- text edits after rendering: a table declared twice, truncation, a line deleted or
  repeated, a character inserted, CRLF line ends, a BOM.

Values that are valid but unbounded in cost (rates, counts, Monte Carlo samples) are
drawn small or absurd (refused), never large-but-valid: "kept small by the mutator".
"""

from __future__ import annotations

import copy
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from engine.scenario.schema import SCHEMA
from tests.corpus.dtb_mutants import BASES, dtb_mutant
from tests.corpus.toml_text import Doc, Raw, document_text, value_text

SCENARIOS = Path(__file__).resolve().parent.parent.parent / "scenarios"
SHIPPED = tuple(sorted(SCENARIOS.glob("*.toml")))
_DOCS = {p.name: tomllib.loads(p.read_text()) for p in SHIPPED}

HOSTILE: tuple[object, ...] = (
    0,
    -1,
    1,
    2**31,
    2**63,
    2**64,
    -(2**63) - 1,
    10**40,
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    -0.0,
    0.5,
    True,
    "",
    " ",
    "0",
    "-1",
    "nan",
    "inf",
    "1e400",
    "1e400s",
    "1e400GiB",
    "-5ms",
    "18446744073709551616",
    "9" * 4400,
    "0x10",
    "1.5GiB",
    "日本語",
    "\u202eevil",
    "💥",
    "a\u0000b",
    "\ufeff1s",
    "x" * 5000,
    "auto",
    "uniform(1s, 0s)",
    "lognormal(0s, 9)",
    "normal(-1s, 1s)",
    "exponential(0s)",
    "uniform(",
    "1e9/s",
    "-2/s",
    "0/s",
    "POWER7",
    "cpu-add",
    "memory-remove",
    "kexec_load",
    [],
    [1, "a"],
    [[[]]],
    {},
    {"at": "1s"},
)
PLAUSIBLE: dict[str, tuple[object, ...]] = {
    "duration": ("2s", "3s", "2500ms"),
    "seed": (0, 1, 2**32, 987654321),
    "smt": (1, 2, 4, 8),
    "cores_present": (1, 2, 3, 4),
    "cores_possible": (4, 8, 12),
    "memory": ("2GiB", "4GiB", "1536MiB"),
    "memory_max": ("4GiB", "8GiB"),
    "memory_block": ("128MiB", "256MiB", "16MiB"),
    "thread_online": ("0s", "1ms", "20ms"),
    "boot_smt": (1, 2, 4),
    "cpu_model": ("POWER8", "POWER9", "POWER10"),
    "rma": ("512MiB", "1GiB"),
    "crashkernel": ("256MiB", "512MiB", "1GiB"),
    "fdt_hole": ("auto", "24KiB", "40KiB", "1MiB", 4096, "16KiB"),
    "syscall": ("kexec_load", "kexec_file_load"),
    "kernel": ("40MiB", "20MiB"),
    "initrd": ("30MiB", "10MiB"),
    "at": ("0s", "0.3s", "1s", "1.001s", "2s"),
    "every": ("1ms", "50ms", "250ms", "0s"),
    "jitter": ("0s", "10ms", "300ms"),
    "cores": (1, 2, 3),
    "size": ("256MiB", "512MiB", "128MiB"),
    "blocks": (1, 2),
    "action": ("cpu-add", "cpu-remove", "memory-add", "memory-remove", "smt"),
    "start": ("0s", "0.5s", "1s"),
    "end": ("1.5s", "2.9s"),
    "rate": ("1/s", "2/s", "60/min"),
    "cpu_fraction": (0.0, 0.5, 1.0),
    "add_fraction": (0.0, 0.5, 1.0),
    "monte_carlo": (0, 1, 10, 50),
    "children_max": ("auto", 1, 2),
    "event": ("0s", "3ms", "300ms"),
    "pid1": ("0s", "22ms"),
    "reload_rule": ("systemd-run", "try-restart"),
    "strategies": (["fdt-hole"], ["udev-reload", "crash-hotplug"]),
    "unload": ("0s", "50ms"),
    "load": ("uniform(0.1s, 0.2s)", "100ms"),
    "sleep": ("0s", "1s"),
    "settle_timeout": ("0s", "3s"),
}
OPPOSITE = {
    "cpu-add": "cpu-remove",
    "cpu-remove": "cpu-add",
    "memory-add": "memory-remove",
    "memory-remove": "memory-add",
}


@dataclass(frozen=True)
class Mutant:
    seed: int
    base: str
    text: str
    what: str
    files: dict[str, bytes] = field(default_factory=dict)  # name -> bytes, beside the scenario


def scenario_mutant(seed: int) -> Mutant:
    """The scenario mutant of ``seed`` (deterministic: ``random.Random`` seeded by a string)."""
    rng = random.Random(f"scenario-mutant:{seed}")
    base = rng.choice(SHIPPED).name
    doc = shrunk(_DOCS[base])
    files: dict[str, bytes] = {}
    done = []
    # a few are plausible (they mostly validate and are run under every strategy); the
    # others carry one to three hostile edits (they are mostly refused, and cheaply)
    plausible = rng.random() < PLAUSIBLE_SHARE
    if plausible:
        ops = [rng.choice(PLAUSIBLE_OPS) for _ in range(rng.choice((1, 1, 2)))]
    else:
        ops = [rng.choice(HOSTILE_OPS) for _ in range(rng.choice((1, 2, 2, 3)))]
        ops += [rng.choice(PLAUSIBLE_OPS) for _ in range(rng.choice((0, 0, 1)))]
    for op in ops:
        done.append(op(rng, doc, files))
    text = document_text(doc)
    if not plausible and rng.random() < 0.15:
        text, what = _text_edit(rng, text)
        done.append(what)
    return Mutant(seed, base, text, "; ".join(done), files)


def shrunk(original: Doc) -> Doc:
    """A shipped scenario made cheap: 3 s, a few cores and blocks, a few events."""
    doc = copy.deepcopy(original)
    old_s = float(str(doc["scenario"]["duration"]).removesuffix("s"))  # type: ignore[index]
    doc["scenario"]["duration"] = "3s"  # type: ignore[index]
    m = doc["machine"]
    assert isinstance(m, dict)
    m["cores_present"] = min(m.get("cores_present", 4), 4)
    m["cores_possible"] = min(m.get("cores_possible", 12), 12)
    if not any("from_capture" in storm for storm in doc.get("storm", [])):  # type: ignore[attr-defined]
        m["memory"] = "4GiB"  # a capture names its blocks: its machine keeps its memory
        if "memory_max" in m:
            m["memory_max"] = "8GiB"
    doc["kdump"]["crashkernel"] = "512MiB"  # type: ignore[index]
    for storm in doc.get("storm", []):  # type: ignore[attr-defined]
        storm["at"] = "0.5s"
        if "from_capture" in storm:
            storm["from_capture"] = str(SCENARIOS / storm["from_capture"])
        if "cores" in storm:
            storm["cores"] = min(storm["cores"], 2)
        if "size" in storm:
            storm["size"] = "512MiB"
        if "every" in storm:
            storm["every"] = "100ms"
    for churn in doc.get("churn", []):  # type: ignore[attr-defined]
        churn.update(start="0.2s", end="2.5s", rate="2/s")
    crash = doc.get("crash", {})
    assert isinstance(crash, dict)
    crash["monte_carlo"] = min(crash.get("monte_carlo", 20), 20)
    for probe in crash.get("probes", []):
        at = float(probe["at"].removesuffix("s")) * 3.0 / old_s
        probe["at"] = f"{at:.3f}s"
    return doc


# -- mutations of the document ---------------------------------------------------------


def _slots(doc: Doc) -> list[tuple[dict, str]]:
    """Every (container, key) a value sits in, tables and storm entries included."""
    out: list[tuple[dict, str]] = []

    def walk(d: dict) -> None:
        for k, v in d.items():
            out.append((d, k))
            if isinstance(v, dict):
                walk(v)
            elif isinstance(v, list):
                for x in v:
                    if isinstance(x, dict):
                        walk(x)

    walk(doc)
    return out


def _schema_slot(rng: random.Random, doc: Doc) -> tuple[dict, str]:
    """A (container, key) the schema knows, present or not: 50% an existing one."""
    if rng.random() < 0.5:
        return rng.choice(_slots(doc))
    table = rng.choice(sorted(t for t in SCHEMA if "." not in t and t != "reproduce"))
    key = rng.choice(sorted(SCHEMA[table].known))
    if SCHEMA[table].array:
        entries = doc.setdefault(table, [{}])
        if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
            return doc, table
        return rng.choice(entries), key
    container = doc.setdefault(table, {})
    return (container, key) if isinstance(container, dict) else (doc, table)


def _delete(rng: random.Random, doc: Doc, files: dict) -> str:
    container, key = rng.choice(_slots(doc))
    del container[key]
    return f"deleted {key}"


def _hostile(rng: random.Random, doc: Doc, files: dict) -> str:
    container, key = _schema_slot(rng, doc)
    container[key] = value = rng.choice(HOSTILE)
    return f"{key} = {str(value)[:40]!r}"


def _plausible(rng: random.Random, doc: Doc, files: dict) -> str:
    container, key = _schema_slot(rng, doc)
    if key not in PLAUSIBLE:
        key = rng.choice(sorted(PLAUSIBLE))
    container[key] = value = rng.choice(PLAUSIBLE[key])
    return f"{key} = {value!r}"


def _swap_type(rng: random.Random, doc: Doc, files: dict) -> str:
    container, key = rng.choice(_slots(doc))
    old = container[key]
    if isinstance(old, bool | int | float):
        new: object = str(old)
    elif isinstance(old, str):
        digits = "".join(c for c in old if c.isdigit() or c == ".")
        new = rng.choice((float(digits) if digits.count(".") <= 1 and digits else 0, [old]))
    else:
        new = rng.choice(([old], {"value": old}, "list"))
    container[key] = new
    return f"{key}: {type(old).__name__} -> {type(new).__name__}"


def _scale(rng: random.Random, doc: Doc, files: dict) -> str:
    container, key = rng.choice(_slots(doc))
    old = container[key]
    factor = rng.choice((0, -1, 7, 2**64))
    if key in ("rate", "monte_carlo", "cores", "blocks", "size") and factor > 7:
        factor = 7  # valid-but-costly values are not the point here: keep it cheap
    if isinstance(old, int | float) and not isinstance(old, bool):
        container[key] = old * factor
    elif isinstance(old, str) and old[:1].isdigit():
        number = "".join(c for c in old if c.isdigit() or c == ".")
        unit = old[len(number) :]
        if number.count(".") <= 1:
            container[key] = f"{float(number) * factor:g}{unit}"
    return f"{key} x {factor}"


def _nest(rng: random.Random, doc: Doc, files: dict) -> str:
    container, key = _schema_slot(rng, doc)
    depth = rng.choice((2, 30, 600))
    inner = value_text(container.get(key, 1))
    opens, closes = zip(
        *(rng.choice((("[", "]"), ("{a = ", "}"))) for _ in range(depth)), strict=True
    )
    container[key] = Raw("".join(opens) + inner + "".join(reversed(closes)))
    return f"{key} nested {depth} deep"


def _unknown(rng: random.Random, doc: Doc, files: dict) -> str:
    if rng.random() < 0.5:
        doc[rng.choice(("machin", "storms", "x", "日本"))] = {"a": 1}
        return "unknown table"
    container, key = rng.choice(_slots(doc))
    target = container[key] if isinstance(container[key], dict) else container
    target[key + "_"] = 1
    return f"unknown key {key}_"


def _overlap(rng: random.Random, doc: Doc, files: dict) -> str:
    name = rng.choice(("storm", "churn"))
    entries = doc.get(name)
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
        doc["storm"] = entries = [{"at": "1s", "action": "cpu-add", "cores": 1, "every": "1ms"}]
        name = "storm"
    twin = copy.deepcopy(rng.choice(entries))
    if "at" in twin:
        twin["at"] = rng.choice(("0.5s", "0.501s", "1s", "1.001s"))
    action = twin.get("action")
    if isinstance(action, str) and action in OPPOSITE and rng.random() < 0.6:
        twin["action"] = OPPOSITE[twin["action"]]
    if "start" in twin:
        twin["start"] = rng.choice(("0s", "1s"))
    entries.append(twin)
    return f"{name} duplicated, overlapping ({twin.get('action', 'churn')})"


def _from_dtb(rng: random.Random, doc: Doc, files: dict) -> str:
    machine = doc.setdefault("machine", {})
    if not isinstance(machine, dict):
        return "from_dtb skipped"
    if rng.random() < 0.5:
        path = str(rng.choice(BASES))
        what = f"from_dtb = {Path(path).name}"
    else:
        mutant = dtb_mutant(rng.randrange(10**9))
        files["m.dtb"] = mutant.blob
        path, what = "m.dtb", f"from_dtb = dtb mutant {mutant.seed} ({mutant.what[:60]})"
    machine["from_dtb"] = path
    if rng.random() < 0.8:
        for key in ("cpu_model", "smt", "cores_present", "cores_possible", "memory"):
            machine.pop(key, None)
        machine.pop("memory_block", None)
    return what


PLAUSIBLE_SHARE = 0.06
PLAUSIBLE_OPS = (_plausible, _plausible, _plausible, _overlap, _overlap, _from_dtb)
HOSTILE_OPS = (
    _delete,
    _hostile,
    _hostile,
    _hostile,
    _hostile,
    _swap_type,
    _scale,
    _nest,
    _unknown,
)


def _text_edit(rng: random.Random, text: str) -> tuple[str, str]:
    lines = text.splitlines(keepends=True)
    kind = rng.randrange(6)
    if kind == 0:
        return text + "[machine]\nsmt = 2\n", "[machine] declared twice"
    if kind == 1:
        n = rng.randrange(len(text))
        return text[:n], f"truncated at {n}"
    if kind == 2 and len(lines) > 1:
        i = rng.randrange(len(lines))
        return "".join(lines[:i] + lines[i + 1 :]), f"line {i + 1} deleted"
    if kind == 3:
        i = rng.randrange(len(lines))
        return "".join(lines[: i + 1] + lines[i:]), f"line {i + 1} repeated"
    if kind == 4:
        n = rng.randrange(len(text))
        c = rng.choice(("\0", "\x7f", "\u2028", "=", "[", '"', "\\", "é"))
        return text[:n] + c + text[n:], f"{c!r} inserted at {n}"
    return "\ufeff" + text.replace("\n", "\r\n"), "BOM and CRLF"
