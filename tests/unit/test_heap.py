"""A started service keeps what start-up made out of the garbage collector's passes, until it stops."""

import gc
import weakref

import pytest

from services.contracts import heap


@pytest.fixture
def pristine_collector():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_settling_freezes_what_is_alive(pristine_collector) -> None:
    made_at_start_up = [[i] for i in range(50_000)]  # lists: always tracked by the collector

    heap.settle()

    assert gc.get_freeze_count() >= len(made_at_start_up)
    tracked = {id(o) for o in gc.get_objects()}
    assert not any(id(o) in tracked for o in made_at_start_up[:1000])  # no pass walks them any more


def test_releasing_gives_them_back(pristine_collector) -> None:
    made_at_start_up = [[i] for i in range(1000)]
    heap.settle()

    heap.release()

    assert gc.get_freeze_count() == 0
    tracked = {id(o) for o in gc.get_objects()}
    assert all(id(o) in tracked for o in made_at_start_up)


class Node:
    pass


def test_a_cycle_dropped_before_settling_is_collected_not_frozen(pristine_collector) -> None:
    node = Node()
    node.itself = node  # freed only by the collector
    alive = weakref.ref(node)
    del node

    heap.settle()

    assert alive() is None
