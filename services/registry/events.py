"""Writing a change and its event in one transaction, then handing the event to the relay.

A transaction that fails for a transient reason (MongoDB's `TransientTransactionError`, e.g. a write
conflict between two concurrent transactions) is retried as a whole: nothing of the failed attempt was kept.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from services.contracts.envelope import new_event
from services.registry import outbox
from services.registry.container import Container
from services.registry.creations import Events
from services.registry.db import retrying

Change = Callable[[AsyncClientSession], Awaitable[Any]]


async def commit(box: Container, change: Change, events: Events | Callable[[Any], Events]) -> Any:
    """Run `change` and record `events` atomically; returns change's value. `events` may be a function of that
    value, for events that say what the change found (it runs again if the transaction is retried)."""

    async def attempt() -> tuple[Any, list[dict]]:
        async with box.db.transaction() as session:
            value = await change(session)
            rows = [await outbox.record(box.db, session, topic,
                                        new_event(type_, subject, data, source=box.settings.service_name))
                    for topic, type_, subject, data in (events(value) if callable(events) else events)]
        return value, rows

    value, rows = await retrying(attempt)
    box.relay.committed(rows)
    return value


async def create(box: Container, collection: str, doc: dict, events: Events) -> None:
    """Inserts a new document and records its events atomically, in one transaction with any other new documents
    that arrive meanwhile (see `creations`)."""
    await box.creations.create(collection, doc, events)
