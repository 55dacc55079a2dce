"""Memory is kept as block runs only (issue 14 item 1): the Machine holds no set of blocks,
and what the model asks of its memory (is a block online, the difference between what
the elfcorehdr lists and what is online) is answered from the runs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.machine.block_runs import BlockRunSet, runs_minus, runs_of
from engine.machine.topology import GIB, MIB, TIB, Machine

BLOCKS = st.sets(st.integers(0, 200), max_size=60)


@settings(max_examples=300, deadline=None)
@given(BLOCKS, BLOCKS)
def test_runs_minus_is_the_set_difference(a: set[int], b: set[int]) -> None:
    assert runs_minus(runs_of(a), runs_of(b)) == runs_of(a - b)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 20), st.lists(st.tuples(st.booleans(), st.integers(0, 40)), max_size=80))
def test_a_block_run_set_behaves_as_a_set(boot: int, ops: list[tuple[bool, int]]) -> None:
    runs, blocks = BlockRunSet(boot), set(range(boot))
    for add, block in ops:
        (runs.add if add else runs.discard)(block)
        (blocks.add if add else blocks.discard)(block)
        assert len(runs) == len(blocks)
    assert [b for b in range(42) if b in runs] == sorted(blocks)
    assert tuple(map(tuple, runs.runs)) == runs_of(blocks)


def test_runs_minus_by_hand() -> None:
    # [0..9] minus [2..3] and [5..5] and [9..12]: 0-1, 4, 6-8
    assert runs_minus(((0, 9),), ((2, 3), (5, 5), (9, 12))) == ((0, 1), (4, 4), (6, 8))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 63)), max_size=80))
def test_has_block_and_the_count_follow_every_add_and_remove(ops: list[tuple[bool, int]]) -> None:
    m = Machine(memory_bytes=4 * 256 * MIB, memory_possible_bytes=16 * GIB)
    online = set(range(4))
    for add, block in ops:
        if add and block not in online:
            m.add_block(block)
            online.add(block)
        elif not add and block in online and len(online) > 1:
            m.remove_block(block)
            online.remove(block)
    assert [b for b in range(64) if m.has_block(b)] == sorted(online)
    assert m.blocks_count == len(online) and m.block_runs() == runs_of(online)


def test_a_16_tib_machine_and_its_copies_hold_one_run_not_a_million_blocks() -> None:
    # 16 TiB in 16 MiB blocks = 2^20 blocks: one run [0, 2^20 - 1]
    m = Machine(memory_bytes=16 * TIB, memory_block_bytes=16 * MIB)
    other = m.copy()
    assert other.block_runs() == ((0, (1 << 20) - 1),)
    assert not any(isinstance(v, set | frozenset) and len(v) > 1000 for v in vars(other).values())
    other.remove_block(5)
    assert not other.has_block(5) and m.has_block(5)
    assert other.block_runs() == ((0, 4), (6, (1 << 20) - 1))
