"""Render a scenario document (tomllib's dict form, possibly mutated) back to TOML text.

Any value the mutator makes is rendered, including ones TOML cannot hold faithfully:
NaN and infinities as ``nan`` / ``inf``, integers of any size as digits (tomllib reads
them as Python ints), a dict inside a table as an inline table, a list of dicts at top
level as an array of tables ``[[name]]``.
"""

from __future__ import annotations

import json
import math

Doc = dict[str, object]


class Raw(str):
    """TOML text written as is (deep nesting: rendering it recursively would overflow)."""


def value_text(v: object) -> str:
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(value_text(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{key_text(k)} = {value_text(x)}" for k, x in v.items()) + "}"
    return json.dumps(str(v), ensure_ascii=False)  # a TOML basic string is a JSON string


def key_text(k: str) -> str:
    bare = k and all(c.isascii() and (c.isalnum() or c in "-_") for c in k)
    return k if bare else json.dumps(k, ensure_ascii=False)


def _is_table_array(v: object) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def document_text(doc: Doc) -> str:
    """Top-level scalars first, then ``[table]`` sections, then ``[[array]]`` entries."""
    lines = []
    for k, v in doc.items():
        if not isinstance(v, dict) and not _is_table_array(v):
            lines.append(f"{key_text(k)} = {value_text(v)}")
    for k, v in doc.items():
        if isinstance(v, dict):
            lines.append(f"[{key_text(k)}]")
            lines.extend(f"{key_text(kk)} = {value_text(vv)}" for kk, vv in v.items())
    for k, v in doc.items():
        if _is_table_array(v):
            assert isinstance(v, list)
            for entry in v:
                lines.append(f"[[{key_text(k)}]]")
                lines.extend(f"{key_text(kk)} = {value_text(vv)}" for kk, vv in entry.items())
    return "\n".join(lines) + "\n"
