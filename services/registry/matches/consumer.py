"""Match events from matching, folded into the registry's matches collection."""

from services.contracts.envelope import Envelope
from services.registry.db import Database
from services.registry.matches.repository import MatchRepository


async def on_match_events(db: Database, events: list[Envelope]) -> None:
    """A batch of match events in one ordered bulk write."""
    await MatchRepository(db).record_events(
        [(e.type, e.data, e.id, e.time) for e in events if e.type in ("match.proposed", "match.retracted")])

