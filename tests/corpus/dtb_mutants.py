"""Seeded mutants of the real QEMU pseries DTBs in tests/data (the same files as
/work/shared/dtb): ``dtb_mutant(seed) -> Mutant``, the same bytes for the same seed.

Two families, drawn by the seed:

- raw (93%): byte flips (anywhere, or in one of the structure block's tokens,
  property lengths or name offsets), truncations and header fields rewritten:
  what ``check_dtb`` and libfdt's ``fdt_check_full`` must refuse or survive;
- edits (7%) through pylibfdt on a copy of a real tree, so that most of them are still
  valid FDTs and reach the importer and the simulation: property values emptied, cut,
  lengthened, cells set to 0 / 1 / 2^31 / 2^32-1, strings swapped, 64-bit ``reg``
  sizes, properties and nodes deleted, CPU nodes duplicated or renamed, ``/memory`` and
  ``ibm,dynamic-reconfiguration-memory`` nodes added. Some edits are followed by a few
  raw flips.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass
from pathlib import Path

import libfdt

DATA = Path(__file__).resolve().parent.parent / "data"
BASES = tuple(sorted(DATA.glob("pseries_*.dtb")))
_BLOBS = {path.name: path.read_bytes() for path in BASES}

# properties the importer and the live tree read: edits are drawn mostly from these
HOT_PROPS = {
    "/": ("#address-cells", "#size-cells", "ibm,drc-indexes", "compatible", "model"),
    "/cpus": ("ibm,drc-indexes", "ibm,drc-names", "ibm,drc-types", "#address-cells"),
    "cpu": (
        "reg",
        "ibm,ppc-interrupt-server#s",
        "ibm,ppc-interrupt-gserver#s",
        "device_type",
        "ibm,my-drc-index",
        "status",
        "ibm,chip-id",
        "cpu-version",
    ),
    "/memory@0": ("reg", "device_type", "ibm,associativity"),
    "/rtas": ("ibm,lrdr-capacity", "ibm,max-associativity-domains"),
    "/chosen": ("bootargs", "linux,initrd-start", "rng-seed", "stdout-path"),
}
CELLS = (0, 1, 2, 3, 7, 8, 0x10, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)
STRINGS = (b"", b"cpu\0", b"memory\0", b"okay\0", b"disabled\0", b"cpu", b"\xff\xfe\0", b"a\0b\0")
U64S = (0, 1, 1 << 24, 1 << 28, (1 << 32) - 1, 1 << 40, 1 << 46, 1 << 63, (1 << 64) - 1)
NAMES = (
    "PowerPC,POWER9@0",
    "PowerPC,POWER9@ff",
    "PowerPC,POWER10@8",
    "PowerPC,POWER7@10",
    "PowerPC,POWER9",
    "PowerPC,POWERX@zz",
    "cpu@1",
    "PowerPC,POWER9@100000000",
)


@dataclass(frozen=True)
class Mutant:
    seed: int
    base: str
    blob: bytes
    what: str  # the edits, for the failure report


def dtb_mutant(seed: int) -> Mutant:
    """The DTB mutant of ``seed``: deterministic (``random.Random`` seeded by a string)."""
    rng = random.Random(f"dtb-mutant:{seed}")
    base = rng.choice(BASES).name
    blob = _BLOBS[base]
    if rng.random() < 0.93:
        out, what = _raw(rng, blob, base)
    else:
        out, what = _edited(rng, blob)
    return Mutant(seed, base, out, what)


# -- raw byte mutations ------------------------------------------------------------------


def _struct_words(blob: bytes) -> list[int]:
    """Offsets of the structure block's tokens, property lengths and name offsets."""
    at = struct.unpack_from(">I", blob, 8)[0]
    words = []
    while at + 4 <= len(blob):
        words.append(at)
        token = struct.unpack_from(">I", blob, at)[0]
        if token == 1:  # FDT_BEGIN_NODE: the name, NUL-terminated, padded
            at = (blob.index(b"\0", at + 4) + 4) & ~3
        elif token == 3:  # FDT_PROP: len, nameoff, value padded
            words += [at + 4, at + 8]
            at = (at + 12 + struct.unpack_from(">I", blob, at + 4)[0] + 3) & ~3
        elif token == 9:  # FDT_END
            break
        else:
            at += 4
    return words


_WORDS = {name: _struct_words(blob) for name, blob in _BLOBS.items()}


def _raw(rng: random.Random, blob: bytes, base: str) -> tuple[bytes, str]:
    # value flips mostly validate (the libfdt edits cover values better): one in eleven
    kind = rng.choice(("flip", *("word-flip",) * 6, *("truncate",) * 2, *("header",) * 2))
    if kind == "word-flip":  # a token, a length or a name offset: the walk must judge it
        out = bytearray(blob)
        at = rng.choice(_WORDS[base]) + rng.randrange(4)
        mask = rng.randint(1, 255)
        out[at] ^= mask
        return bytes(out), f"structure word flip {at:#x}^{mask:#x}"
    if kind == "truncate":
        n = rng.randrange(len(blob))
        return blob[:n], f"truncated to {n} bytes"
    if kind == "header":
        field = rng.randrange(10)
        value = rng.choice((*CELLS, rng.getrandbits(32), len(blob), len(blob) + 1))
        out = bytearray(blob)
        struct.pack_into(">I", out, 4 * field, value)
        return bytes(out), f"header u32 #{field} = {value:#x}"
    return _flips(rng, blob, 0, len(blob), rng.randint(1, 4))


def _flips(rng: random.Random, blob: bytes, start: int, size: int, n: int) -> tuple[bytes, str]:
    out = bytearray(blob)
    done = []
    for _ in range(n):
        at = start + rng.randrange(size)
        mask = rng.randint(1, 255)
        out[at] ^= mask
        done.append(f"{at:#x}^{mask:#x}")
    return bytes(out), "flips " + ",".join(done)


# -- edits through libfdt -----------------------------------------------------------------


def _edited(rng: random.Random, blob: bytes) -> tuple[bytes, str]:
    fdt = libfdt.Fdt(bytearray(blob))
    fdt.resize(fdt.totalsize() + 16384)
    done = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        try:
            done.append(rng.choice(EDITS)(rng, fdt))
        except libfdt.FdtException as err:  # e.g. a name that exists: the edit is skipped
            done.append(f"(skipped: {err})")
    fdt.pack()
    out = bytes(fdt.as_bytearray())
    if rng.random() < 0.1:
        out, flips = _flips(rng, out, 0, len(out), rng.randint(1, 2))
        done.append(flips)
    return out, "; ".join(done)


def _nodes(fdt: libfdt.Fdt) -> list[int]:
    out, node = [], 0
    while node >= 0:
        out.append(node)
        node, _ = fdt.next_node(node, 0, libfdt.QUIET_NOTFOUND)
    return out


def _cpu_nodes(fdt: libfdt.Fdt) -> list[int]:
    cpus = fdt.path_offset("/cpus", libfdt.QUIET_NOTFOUND)
    out = []
    node = -1 if cpus < 0 else fdt.first_subnode(cpus, libfdt.QUIET_NOTFOUND)
    while node >= 0:
        out.append(node)
        node = fdt.next_subnode(node, libfdt.QUIET_NOTFOUND)
    return out


def _props(fdt: libfdt.Fdt, node: int) -> list[str]:
    out = []
    off = fdt.first_property_offset(node, libfdt.QUIET_NOTFOUND)
    while off >= 0:
        out.append(fdt.get_property_by_offset(off).name)
        off = fdt.next_property_offset(off, libfdt.QUIET_NOTFOUND)
    return out


def _pick_prop(rng: random.Random, fdt: libfdt.Fdt) -> tuple[int, str]:
    """A (node, property) pair: 80% from HOT_PROPS, else any property of any node."""
    if rng.random() < 0.93:
        where = rng.choice(sorted(HOT_PROPS))
        cpus = _cpu_nodes(fdt)
        if where == "cpu" and cpus:
            node = rng.choice(cpus)
        else:
            node = fdt.path_offset("/" if where == "cpu" else where, libfdt.QUIET_NOTFOUND)
        if node >= 0:
            return node, rng.choice(HOT_PROPS[where])
    node = rng.choice(_nodes(fdt))
    props = _props(fdt, node)
    return node, rng.choice(props) if props else "reg"


def _value(rng: random.Random, old: bytes) -> bytes:
    kind = rng.randrange(8)
    if kind == 0:
        return b""
    if kind == 1:
        return old[: rng.randrange(len(old))] if old else b"\0"
    if kind == 2:
        return old + bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 16)))
    if kind == 3 and len(old) >= 4:
        cells = bytearray(old)
        at = 4 * rng.randrange(len(old) // 4)
        struct.pack_into(">I", cells, at, rng.choice(CELLS))
        return bytes(cells)
    if kind == 4:
        return struct.pack(">I", rng.choice(CELLS)) * rng.choice((1, 1, 2, 3, 33))
    if kind == 5:
        return rng.choice(STRINGS)
    if kind == 6:
        return struct.pack(">QQ", rng.choice(U64S), rng.choice(U64S))
    return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))


def _set_prop(rng: random.Random, fdt: libfdt.Fdt) -> str:
    node, name = _pick_prop(rng, fdt)
    old = fdt.getprop(node, name, libfdt.QUIET_NOTFOUND)
    value = _value(rng, b"" if isinstance(old, int) else bytes(old))
    fdt.setprop(node, name, value)
    return f"{fdt.get_path(node)}:{name} = {value[:24].hex()}{'..' if len(value) > 24 else ''}"


def _del_prop(rng: random.Random, fdt: libfdt.Fdt) -> str:
    node, name = _pick_prop(rng, fdt)
    fdt.delprop(node, name)
    return f"{fdt.get_path(node)}:{name} deleted"


def _del_node(rng: random.Random, fdt: libfdt.Fdt) -> str:
    cpus = _cpu_nodes(fdt)
    paths = ["/memory@0", "/cpus", "/rtas", "/chosen", "/interrupt-controller"]
    path = fdt.get_path(rng.choice(cpus)) if cpus and rng.random() < 0.6 else rng.choice(paths)
    fdt.del_node(fdt.path_offset(path))
    return f"{path} deleted"


def _rename_cpu(rng: random.Random, fdt: libfdt.Fdt) -> str:
    node = rng.choice(_cpu_nodes(fdt) or [fdt.path_offset("/cpus")])
    old = fdt.get_path(node)
    name = rng.choice(NAMES)
    fdt.set_name(node, name)
    return f"{old} renamed {name}"


def _copy_cpu(rng: random.Random, fdt: libfdt.Fdt) -> str:
    cpus = _cpu_nodes(fdt)
    src = rng.choice(cpus) if cpus else fdt.path_offset("/cpus")
    props = [(name, bytes(fdt.getprop(src, name))) for name in _props(fdt, src)]
    name = rng.choice(NAMES[:4]) if rng.random() < 0.5 else f"PowerPC,POWER9@{rng.randrange(64):x}"
    new = fdt.add_subnode(fdt.path_offset("/cpus"), name)
    for key, value in props:
        fdt.setprop(new, key, value)
    return f"{fdt.get_path(src)} copied as /cpus/{name}"


def _add_memory(rng: random.Random, fdt: libfdt.Fdt) -> str:
    if rng.random() < 0.5:
        node = fdt.add_subnode(0, f"memory@{rng.choice(U64S):x}")
        fdt.setprop_str(node, "device_type", "memory")
        reg = struct.pack(">QQ", rng.choice(U64S), rng.choice(U64S))
        fdt.setprop(node, "reg", reg)
        return f"/memory node reg {reg.hex()}"
    node = fdt.add_subnode(0, "ibm,dynamic-reconfiguration-memory")
    lmb = rng.choice(U64S)
    fdt.setprop(node, "ibm,lmb-size", struct.pack(">Q", lmb))
    if rng.random() < 0.5:
        count = rng.choice((0, 1, 8, 0xFFFFFFFF))
        fdt.setprop(node, "ibm,dynamic-memory", struct.pack(">I", count) + bytes(24))
    return f"ibm,dynamic-reconfiguration-memory lmb-size {lmb:#x}"


EDITS = (
    _set_prop,
    _set_prop,
    _set_prop,
    _set_prop,
    _del_prop,
    _del_prop,
    _del_node,
    _rename_cpu,
    _copy_cpu,
    _add_memory,
)
