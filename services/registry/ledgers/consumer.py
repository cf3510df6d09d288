"""The ledgers' projector runs inside the registry's one consumer-group member, beside its other handlers."""

from collections.abc import Awaitable, Callable

from services.contracts import topics
from services.contracts.envelope import Envelope
from services.registry.db import Database
from services.registry.ledgers.projector import Projector
from services.registry.ledgers.store import MongoLedgerStore

Handler = Callable[[Envelope], Awaitable[None]]
LEDGER_TOPICS = (topics.DEALS, topics.ORGS, topics.RESULTS, topics.MATCHES, topics.FEEDBACK, topics.SUMMITS)


def _then_project(first: Handler | None, projector: Projector) -> Handler:
    async def handle(event: Envelope) -> None:
        if first is not None:
            await first(event)
        await projector.handle(event)
    return handle


def with_ledgers(db: Database, prefix: str, handlers: dict[str, Handler]) -> dict[str, Handler]:
    """`handlers` plus the ledger projection on every ledger topic (after the topic's own handler, if any)."""
    projector = Projector(MongoLedgerStore(db))
    out = dict(handlers)
    for topic in LEDGER_TOPICS:
        name = topics.named(topic, prefix)
        out[name] = _then_project(handlers.get(name), projector)
    return out
