"""Writing a change and its event in one transaction, then waking the relay.

A transaction that fails for a transient reason (MongoDB's `TransientTransactionError`, e.g. a write
conflict between two concurrent transactions) is retried as a whole: nothing of the failed attempt was kept.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession

from services.contracts.envelope import new_event
from services.registry import outbox
from services.registry.container import Container
from services.registry.db import retrying

Change = Callable[[AsyncClientSession], Awaitable[Any]]


async def commit(box: Container, change: Change, events: list[tuple[str, str, str, BaseModel | dict]]) -> Any:
    """Run `change` and record `events` ((topic, type, subject, data), ...) atomically; returns change's value."""

    async def attempt() -> Any:
        async with box.db.transaction() as session:
            value = await change(session)
            for topic, type_, subject, data in events:
                event = new_event(type_, subject, data, source=box.settings.service_name)
                await outbox.record(box.db, session, topic, event)
        return value

    value = await retrying(attempt)
    box.relay.wake()
    return value
