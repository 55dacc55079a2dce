"""A reload's coverage: what the hole says it covers is what its bytes hold.

kdumpctl reloads after DLPAR adds; the new cores' nodes come first, so the hole decodes
only the nodes in front of the last load's (engine/devicetree/cpus_children.py) and
tells its listeners the threads gained. Whatever the mix of adds, removes, in-place
updates and identical reloads, the covered set and a listener's mirror of it must equal
the interrupt servers decoded from the hole's bytes by an independent reader.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.devicetree.fdt_hole import FdtHole
from engine.machine.topology import Machine
from tests.fdt_fixtures import builder_for
from tests.test_fdt_hole import fdt_servers, hot_add

MIB = 1 << 20
# add / remove: the machine changes and kdumpctl reloads; "quietly": the machine changes
# and nothing reloads (an in-place update may follow); same: the last blob again
OPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "remove", "update", "same"]),
        st.integers(0, 50),
        st.booleans(),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=150)
@given(smt=st.sampled_from([1, 2, 4]), ops=OPS)
def test_covered_threads_are_the_servers_in_the_hole_after_any_reload_sequence(smt, ops):
    machine = Machine(smt=smt, cores_present=2, cores_possible=24)
    hole = FdtHole(size_bytes=MIB)
    mirror: set[int] = set()

    def listen(gained: frozenset[int], lost: frozenset[int]) -> None:
        mirror.difference_update(lost)
        mirror.update(gained)

    hole.watch_covered(listen)
    blob = builder_for(machine).build()
    assert hole.load(blob)
    for op, n, quietly in ops:
        if op == "add":
            for _ in range(min(1 + n % 4, machine.cores_possible - machine.cores_present)):
                hot_add(machine)
            if not quietly:
                blob = builder_for(machine).build()
                assert hole.load(blob)
        elif op == "remove":
            removable = [c for c in machine.present_cores if c != 0]
            if removable:
                core = removable[n % len(removable)]
                for thread in machine.threads_of(core):
                    if thread in machine.online_set:
                        machine.offline_thread(thread)
                machine.remove_core(core)
            if not quietly:
                blob = builder_for(machine).build()
                assert hole.load(blob)
        elif op == "update":
            hole.update_cpus(machine)
        else:
            assert hole.load(blob)  # the same blob again
        want = fdt_servers(hole.packed())
        assert set(hole.covered) == want
        assert hole.fdt_threads() == want
        assert mirror == want


def test_a_reload_after_adds_tells_listeners_only_the_new_threads():
    # 2 SMT2 cores, then 3 added: the reload gains the 6 new threads and loses none
    machine = Machine(smt=2, cores_present=2, cores_possible=8)
    hole = FdtHole(size_bytes=MIB)
    assert hole.load(builder_for(machine).build())
    told: list[tuple[frozenset[int], frozenset[int]]] = []
    hole.watch_covered(lambda gained, lost: told.append((gained, lost)))
    new = [hot_add(machine) for _ in range(3)]
    assert hole.load(builder_for(machine).build())
    threads = frozenset(t for core in new for t in machine.threads_of(core))
    assert told == [(threads, frozenset())]
