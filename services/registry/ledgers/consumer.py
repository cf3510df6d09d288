"""The ledgers' projector runs inside the registry's one consumer-group member, beside its other handlers."""

from collections.abc import Awaitable, Callable

from services.contracts import topics
from services.contracts.consumer import BatchHandler, one_by_one
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


def with_ledgers(db: Database, prefix: str, handlers: dict[str, Handler],
                 batches: dict[str, BatchHandler] | None = None) -> dict[str, BatchHandler]:
    """Batch handlers for every topic: `batches` and `handlers` (one by one), each followed by the ledger
    projection on the ledger topics. Match events are projected in bulk."""
    projector = Projector(MongoLedgerStore(db))
    out: dict[str, BatchHandler] = {name: one_by_one(handler) for name, handler in handlers.items()}
    out.update(batches or {})
    for topic in LEDGER_TOPICS:
        name = topics.named(topic, prefix)
        if topic == topics.MATCHES:
            out[name] = _then_project_matches(out.get(name), projector)
        else:
            out[name] = one_by_one(_then_project(handlers.get(name), projector))
    return out


def _then_project_matches(first: BatchHandler | None, projector: Projector) -> BatchHandler:
    async def handle(events: list[Envelope]) -> None:
        if first is not None:
            await first(events)
        await projector.handle_matches(events)
    return handle
