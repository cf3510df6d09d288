import uuid
from collections.abc import AsyncIterator

import pytest

from deploy.stack import Stack
from services.notify.db import Database


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[Database]:
    """A database of its own on the stack's notify database server, dropped afterwards."""
    db = Database(stack.database_url("notify-database"), f"scratch_{uuid.uuid4().hex[:8]}")
    yield db
    await db.client.drop_database(db.db.name)
    await db.client.close()
