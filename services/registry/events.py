"""Writing a change and its event in one transaction, then waking the relay.

A transaction that fails for a transient reason (MongoDB's `TransientTransactionError`, e.g. a write
conflict between two concurrent transactions) is retried as a whole: nothing of the failed attempt was kept.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError

from services.contracts.envelope import new_event
from services.registry import outbox
from services.registry.container import Container

Change = Callable[[AsyncClientSession], Awaitable[Any]]
ATTEMPTS = 8


def transient(error: PyMongoError) -> bool:
    """Worth retrying the whole transaction: a write conflict, or a storage engine busy with another writer."""
    return error.has_error_label("TransientTransactionError") or "database is locked" in str(error)


async def commit(box: Container, change: Change, events: list[tuple[str, str, str, BaseModel | dict]]) -> Any:
    """Run `change` and record `events` ((topic, type, subject, data), ...) atomically; returns change's value."""
    for attempt in range(ATTEMPTS):
        try:
            async with box.db.transaction() as session:
                value = await change(session)
                for topic, type_, subject, data in events:
                    event = new_event(type_, subject, data, source=box.settings.service_name)
                    await outbox.record(box.db, session, topic, event)
            break
        except PyMongoError as error:
            if attempt == ATTEMPTS - 1 or not transient(error):
                raise
            await asyncio.sleep(0.01 * 2**attempt * (1 + random.random()))
    box.relay.wake()
    return value
