"""Property: a capture of any valid storm replays to exactly its uevents, at its instants.

Under ``udev-reload`` no kernel work runs before a uevent, so every captured
``online`` / ``offline`` / ``add`` / ``remove`` must come out as that device's
uevent at the captured instant (relative to the first event), whatever mix of
DLPAR adds and removes, SMT changes and memory resizes the capture holds.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.run.session import Session
from engine.scenario.load import parse_scenario

SMT, BOOT, POSSIBLE, BLOCKS, BLOCKS_MAX = 4, 2, 6, 4, 8
SCENARIO = f"""[scenario]
duration = "{{duration}}s"
[machine]
smt = {SMT}
cores_present = {BOOT}
cores_possible = {POSSIBLE}
memory = "{BLOCKS * 256}MiB"
memory_max = "{BLOCKS_MAX * 256}MiB"
[kdump]
crashkernel = "256MiB"
kernel = "20MiB"
initrd = "20MiB"
[[storm]]
at = "1s"
from_capture = "{{path}}"
"""
OPS = st.sampled_from(["add-core", "remove-core", "smt-off", "smt-on", "mem-add", "mem-remove"])
GAPS_US = st.sampled_from([1_000, 2_000, 50_000, 250_000])


def storm_events(ops: list[str], gaps: list[int]) -> list[tuple[int, str, str, int]]:
    """(t_us, subsystem, action, number) a kernel would send for ``ops``, from boot state."""
    present = set(range(BOOT))
    online = {t for c in present for t in range(c * SMT, (c + 1) * SMT)}
    blocks = set(range(BLOCKS))
    out: list[tuple[int, str, str, int]] = []
    t = 5_000_000
    for op, gap in zip(ops, gaps, strict=False):
        t += gap
        if op == "add-core" and len(present) < POSSIBLE:
            core = min(set(range(POSSIBLE)) - present)
            present.add(core)
            for i, thread in enumerate(range(core * SMT, (core + 1) * SMT)):
                out.append((t + i * 2_000, "cpu", "online", thread))
                online.add(thread)
            t += SMT * 2_000
        elif op == "remove-core" and len(present) > 1:
            core = max(present - {0})
            threads = sorted(online & set(range(core * SMT, (core + 1) * SMT)), reverse=True)
            if not threads or len(online) == len(threads):
                continue
            for i, thread in enumerate(threads):
                out.append((t + i * 2_000, "cpu", "offline", thread))
                online.discard(thread)
            present.discard(core)
            t += len(threads) * 2_000
        elif op == "smt-off":
            candidates = [th for th in sorted(online) if th % SMT and len(online) > 1]
            if candidates:
                out.append((t, "cpu", "offline", candidates[-1]))
                online.discard(candidates[-1])
        elif op == "smt-on":
            offline = [
                th for c in sorted(present) for th in range(c * SMT, (c + 1) * SMT)
                if th not in online
            ]  # fmt: skip
            if offline:
                out.append((t, "cpu", "online", offline[0]))
                online.add(offline[0])
        elif op == "mem-add" and len(blocks) < BLOCKS_MAX:
            block = min(set(range(BLOCKS_MAX)) - blocks)
            out += [(t, "memory", "add", block), (t, "memory", "online", block)]
            blocks.add(block)
        elif op == "mem-remove" and len(blocks) > 1:
            block = max(blocks)
            out += [(t, "memory", "offline", block), (t, "memory", "remove", block)]
            blocks.discard(block)
    return out


def monitor_text(events: list[tuple[int, str, str, int]]) -> str:
    lines = []
    for t, subsystem, action, number in events:
        devpath = f"/devices/system/{subsystem}/{subsystem}{number}"
        lines.append(f"KERNEL[{t // 10**6}.{t % 10**6:06d}] {action:<8} {devpath} ({subsystem})")
    return "\n".join(lines) + "\n"


@settings(max_examples=25, deadline=None)
@given(st.lists(OPS, min_size=1, max_size=14), st.lists(GAPS_US, min_size=14, max_size=14))
def test_every_captured_event_is_replayed_as_its_uevent_at_its_instant(tmp_path_factory, ops, gaps):
    events = storm_events(ops, gaps)
    if not events:
        return
    directory = tmp_path_factory.mktemp("capture")
    (directory / "c.log").write_text(monitor_text(events))
    first = events[0][0]
    duration = 1 + (events[-1][0] - first) / 1e6 + 1
    scenario = parse_scenario(SCENARIO.format(duration=duration, path="c.log"), "s.toml", directory)
    session = Session(scenario, "udev-reload")
    session.run_to_end()
    got = [
        (round(r.t_s, 9), r.detail["subsystem"], r.detail["action"], r.detail["id"])
        for r in session.records
        if r.kind == "uevent"
    ]
    expected = [(round(1 + (t - first) / 1e6, 9), s, a, n) for t, s, a, n in events]
    assert sorted(got) == sorted(expected)
    # and in the captured order, ties (add and online in one microsecond) kept in order
    assert [g[1:] for g in got] == [e[1:] for e in expected]
