"""Fixtures for the registry's integration tests: its URL on the shared stack, an admin, fresh organisations, a
direct line to its database (to store matches as its consumer does)."""

import random
from collections.abc import AsyncIterator

import httpx
import pytest

from deploy.stack import Stack
from services.registry.db import Database
from services.registry.identifiers import CREDIT_CODE_ALPHABET, credit_code_check_character
from services.registry.settings import Settings
from tests.support.api import register_org


def new_credit_code(region: str = "430121") -> str:
    """A well-formed 统一社会信用代码 nobody else in this test session uses."""
    body = "91" + region + "".join(random.choices(CREDIT_CODE_ALPHABET, k=9))
    return body + credit_code_check_character(body)


@pytest.fixture
def firm_factory(http: httpx.AsyncClient, registry: str):
    async def make(name: str = "测试企业", **extra) -> dict:
        return await register_org(http, registry, name, "firm", credit_code=new_credit_code(), **extra)
    return make


@pytest.fixture
async def registry_db(stack: Stack) -> AsyncIterator[Database]:
    db = Database(stack.mongo_url, Settings().registry_db)  # retries while the embedded engine is busy
    yield db
    await db.close()
