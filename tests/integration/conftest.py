"""Fixtures every integration test may use on the shared stack (see tests/conftest.py for `stack`)."""

import pytest

from deploy.stack import Stack
from tests.support.api import bearer


@pytest.fixture
def registry(stack: Stack) -> str:
    return stack.url("registry")


@pytest.fixture
def admin(stack: Stack) -> dict[str, str]:
    """Headers that act as the platform's admin (the bootstrap key)."""
    return bearer(stack.env()["DUIJIE_ADMIN_KEY"])
