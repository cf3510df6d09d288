"""The embedded broker is given the last CPU this process may use, and left alone on a machine with one."""

import pytest

from deploy import stack


@pytest.mark.parametrize(("allowed", "chosen"), [({0}, None), ({0, 1}, {1}), ({2, 5, 7}, {7})])
def test_the_broker_gets_the_last_allowed_cpu(monkeypatch: pytest.MonkeyPatch, allowed: set[int],
                                             chosen: set[int] | None) -> None:
    monkeypatch.setattr(stack.os, "sched_getaffinity", lambda pid: allowed)
    assert stack.broker_cpus() == chosen
