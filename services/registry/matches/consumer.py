"""Match events from matching, folded into the registry's matches collection."""

from services.contracts.envelope import Envelope
from services.registry.db import Database
from services.registry.matches.repository import MatchRepository


async def on_match_event(db: Database, event: Envelope) -> None:
    repo = MatchRepository(db)
    if event.type == "match.proposed":
        await repo.record_proposed(event.data, event.id, event.time)
    elif event.type == "match.retracted":
        await repo.record_retracted(event.data["match_id"], event.data.get("reason", ""))
