"""The embedded broker runs on one CPU (see `deploy.stack.broker_cpus`), the other children wherever the kernel puts
them."""

import os

import pytest

from deploy.stack import Stack, broker_cpus

pytestmark = pytest.mark.integration


def allowed(stack: Stack, name: str) -> set[int]:
    child = next(c for c in stack.children if c.name == name and c.alive())
    assert child.proc is not None
    return os.sched_getaffinity(child.proc.pid)


def test_the_broker_alone_is_kept_on_one_cpu(stack: Stack) -> None:
    everywhere = os.sched_getaffinity(0)
    if len(everywhere) < 2:
        pytest.skip("one CPU: nothing to choose")
    assert allowed(stack, "broker") == broker_cpus() == {max(everywhere)}
    for name in ("database", "registry", "matching", "notify"):
        assert allowed(stack, name) == everywhere, name
