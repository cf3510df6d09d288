"""The ledgers' projector runs inside the registry's one consumer-group member, beside its other handlers."""

from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from services.contracts import topics
from services.contracts.consumer import BatchHandler, one_by_one
from services.contracts.envelope import Envelope
from services.registry.db import Database
from services.registry.ledgers.projector import Projector
from services.registry.ledgers.store import MongoLedgerStore
from services.registry.settings import DISTRICT_TIMEZONE

Handler = Callable[[Envelope], Awaitable[None]]
LEDGER_TOPICS = (topics.DEALS, topics.ORGS, topics.RESULTS, topics.MATCHES, topics.FEEDBACK, topics.SUMMITS)


def _then_project(first: BatchHandler | None, projector: Projector) -> BatchHandler:
    async def handle(events: list[Envelope]) -> None:
        if first is not None:
            await first(events)
        await projector.handle_many(events)
    return handle


def with_ledgers(db: Database, prefix: str, handlers: dict[str, Handler],
                 batches: dict[str, BatchHandler] | None = None, zone: str = DISTRICT_TIMEZONE,
                 ) -> dict[str, BatchHandler]:
    """Batch handlers for every topic: `batches` and `handlers` (one by one), each followed by the ledger
    projection on the ledger topics (match proposals and retractions in bulk)."""
    projector = Projector(MongoLedgerStore(db), ZoneInfo(zone))
    out: dict[str, BatchHandler] = {name: one_by_one(handler) for name, handler in handlers.items()}
    out.update(batches or {})
    for topic in LEDGER_TOPICS:
        name = topics.named(topic, prefix)
        out[name] = _then_project(out.get(name), projector)
    return out
