"""Answering matches: each party accepts or declines; both accepting makes the match mutual.

Each answer is stored in `feedback` (one document per match × organisation, shaped as FeedbackData) and
published as `match.accepted` / `match.declined` on registry.feedback.v1, in one transaction.
"""

import asyncio
import time
from datetime import UTC, datetime

from pymongo.asynchronous.client_session import AsyncClientSession

from services.contracts import topics
from services.contracts.events import FeedbackData
from services.registry.auth import Caller
from services.registry.container import Container
from services.registry.errors import Conflict, Invalid, NotFound
from services.registry.events import commit
from services.registry.fields import plausible
from services.registry.matches.privacy import confidential_matches, hides_owner
from services.registry.matches.repository import MatchRepository
from services.registry.matches.schemas import MatchPage, MatchPublic


def to_public(doc: dict, org_id: str, confidential: bool) -> MatchPublic:
    decisions = doc.get("decisions", {})
    theirs = [d["decision"] for o, d in decisions.items() if o != org_id]
    hidden = hides_owner(doc, org_id, confidential)
    mutual = doc.get("status") == "accepted"
    # The financing options are the owner's: the products it qualifies for, by its qualifications and patents (all
    # public in its profile), would name a hidden owner.
    return MatchPublic.model_validate({
        **doc, "id": doc["_id"], "need_org_id": None if hidden else doc.get("need_org_id"),
        "financing": [] if hidden else doc.get("financing", []),
        "my_decision": decisions.get(org_id, {}).get("decision"), "their_decision": theirs[0] if theirs else None,
        "mutual": mutual})


def cursor_of(doc: dict) -> str:
    """A page's `next_cursor`: its last match's time and id, so the next page goes on among matches of that time."""
    return f"{doc['proposed_at'].astimezone(UTC):%Y-%m-%dT%H:%M:%S.%fZ}_{doc['_id']}"


def after_cursor(cursor: str) -> tuple[datetime, str | None]:
    """Where the page after `cursor` starts: a time and a match id (None in a cursor given before ids were)."""
    when, _, last_id = cursor.partition("_")
    try:
        at = datetime.fromisoformat(when)
    except ValueError as error:
        raise Invalid("is not a cursor this API returned", field="query parameter cursor") from error
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    if not plausible(at):
        raise Invalid("is not a cursor this API returned", field="query parameter cursor")
    return at, last_id or None


async def list_matches(box: Container, caller: Caller, limit: int, cursor: str | None) -> MatchPage:
    repo = MatchRepository(box.db)
    docs = await repo.for_org(caller.org_id, limit + 1, after_cursor(cursor) if cursor else None)
    secret = await confidential_matches(repo, docs[:limit])
    items = [to_public(d, caller.org_id, d["_id"] in secret) for d in docs[:limit]]
    return MatchPage(items=items, next_cursor=cursor_of(docs[limit - 1]) if len(docs) > limit else None)


ARRIVAL_POLL_SECONDS = 0.05


async def arrived(repo: MatchRepository, match_id: str, wait_seconds: float) -> dict | None:
    """The match, waiting up to `wait_seconds` for one not stored yet: notify announces a match from the same
    events the registry stores it from, and the registry takes them in batches (`consume_linger_seconds`), so a
    party answering the announcement at once can be here first."""
    deadline = time.monotonic() + wait_seconds
    while True:
        doc = await repo.get(match_id)
        if doc is not None or time.monotonic() >= deadline:
            return doc
        await asyncio.sleep(ARRIVAL_POLL_SECONDS)


async def _party_to(repo: MatchRepository, caller: Caller, match_id: str, wait_seconds: float) -> dict:
    doc = await arrived(repo, match_id, wait_seconds)
    if doc is None or caller.org_id not in doc.get("org_ids", []):
        raise NotFound(f"match {match_id} not found")
    return doc


async def get_match(box: Container, caller: Caller, match_id: str) -> MatchPublic:
    repo = MatchRepository(box.db)
    doc = await _party_to(repo, caller, match_id, box.settings.match_wait_seconds)
    return to_public(doc, caller.org_id, bool(await confidential_matches(repo, [doc])))


async def decide(box: Container, caller: Caller, match_id: str, decision: str, reason: str | None,
                 text: str | None) -> MatchPublic:
    repo = MatchRepository(box.db)
    doc = await _party_to(repo, caller, match_id, box.settings.match_wait_seconds)
    secret = bool(await confidential_matches(repo, [doc]))
    if doc["status"] in ("retracted", "declined"):
        raise Conflict(f"match {match_id} is {doc['status']} and can no longer be answered")
    mine = doc.get("decisions", {}).get(caller.org_id, {})
    if mine.get("decision") == decision and mine.get("reason") == reason:
        return to_public(doc, caller.org_id, secret)  # answered the same way already: nothing new
    now = datetime.now(UTC)
    answer = FeedbackData(match_id=match_id, org_id=caller.org_id, need_id=doc["need_id"],
                          counterpart_id=doc["counterpart_id"], counterpart_kind=doc["counterpart_kind"],
                          decision=decision, reason=reason, text=text, at=now,  # type: ignore[arg-type]
                          need_org_id=doc["need_org_id"], counterpart_org_id=doc["counterpart_org_id"],
                          need_confidential=secret)
    record = {"decision": decision, "reason": reason, "text": text, "at": now}

    async def change(session: AsyncClientSession) -> tuple[dict, FeedbackData]:
        updated = await repo.record_decision(match_id, caller.org_id, record, session)
        feedback = answer.model_copy(update={"mutual": updated["status"] == "accepted"})
        await repo.record_feedback(match_id, caller.org_id, feedback.model_dump(mode="json"), session)
        return updated, feedback

    updated, _ = await commit(box, change, lambda done: [(topics.FEEDBACK, f"match.{decision}", match_id, done[1])])
    return to_public(updated, caller.org_id, secret)
