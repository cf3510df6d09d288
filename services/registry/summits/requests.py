"""Meeting requests: suggested from matches, asked explicitly, accepted or declined by the receiver, and
expired when the receiver lets them lie (both sides are told, and the organiser sees who ignores requests).
"""

from datetime import datetime, timedelta

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from services.contracts import topics
from services.registry.auth import Caller
from services.registry.container import Container
from services.registry.errors import Conflict, Forbidden, Invalid, NotFound
from services.registry.events import commit
from services.registry.matches.privacy import known_to
from services.registry.matches.repository import MatchRepository
from services.registry.summits.repository import SummitRepository
from services.registry.summits.schemas import (
    MeetingRequestCreate,
    MeetingRequestPage,
    MeetingRequestPublic,
    Suggestion,
    SuggestionPage,
)
from services.registry.summits.service import commit_when, is_organiser, load_summit, participant_public

EXPLICIT_SCORE = 0.5
"""The score of a request between organisations that matching never matched."""


def to_public(doc: dict) -> MeetingRequestPublic:
    return MeetingRequestPublic.model_validate({**doc, "id": doc["_id"]})


def event_data(doc: dict) -> dict:
    return {**doc, "request_id": doc["_id"], "participant_org_ids": [doc["from_org_id"], doc["to_org_id"]],
            "at": doc.get("decided_at") or doc["created_at"]}


async def suggestions(box: Container, caller: Caller, summit_id: str) -> SuggestionPage:
    """The caller's matches with organisations taking part, best first: whom to ask for a meeting."""
    repo = SummitRepository(box.db)
    await load_summit(repo, summit_id)
    participants = await repo.participants_of(summit_id)
    by_org: dict[str, list[dict]] = {}
    for p in participants:
        by_org.setdefault(p["org_id"], []).append(p)
    requested = {frozenset((r["from_org_id"], r["to_org_id"]))
                 for r in await repo.requests_of(summit_id, caller.org_id, None) if r["status"] != "declined"}
    items: dict[str, Suggestion] = {}
    matches = await known_to(MatchRepository(box.db), caller.org_id, await repo.matches_of(caller.org_id, list(by_org)))
    for match in sorted(matches, key=lambda m: -m.get("score", 0)):
        other = next(o for o in match["org_ids"] if o != caller.org_id)
        if other in items:
            continue  # one suggestion per organisation: its best match
        items[other] = Suggestion(match_id=match["_id"], score=match.get("score", 0), counterpart_org_id=other,
                                  counterpart_participants=[participant_public(p) for p in by_org[other]],
                                  requested=frozenset((caller.org_id, other)) in requested)
    return SuggestionPage(items=list(items.values()))


async def _score(repo: SummitRepository, matches: MatchRepository, match_id: str | None, from_org: str,
                 to_org: str) -> tuple[float, str | None]:
    """The request's score and match: the one named, else the best between the two organisations that the sender
    may know of (`privacy.known_to`)."""
    if match_id:
        match = await repo.match(match_id)
        between = match is not None and set(match.get("org_ids", [])) == {from_org, to_org}
        if not between or not await known_to(matches, from_org, [match]):  # type: ignore[list-item]
            raise Invalid(f"match {match_id} is not a match between your organisation and {to_org}", field="match_id")
        return float(match.get("score", EXPLICIT_SCORE)), match_id
    mine = await known_to(matches, from_org, await repo.matches_of(from_org, [to_org]))
    best = max(mine, key=lambda m: m.get("score", 0), default=None)
    if best is None:
        return EXPLICIT_SCORE, None
    return float(best.get("score", EXPLICIT_SCORE)), best["_id"]


async def request_meeting(box: Container, caller: Caller, summit_id: str, body: MeetingRequestCreate,
                          now: datetime) -> MeetingRequestPublic:
    repo = SummitRepository(box.db)
    summit = await load_summit(repo, summit_id)
    sender = await repo.participant(summit_id, body.from_participant)
    if sender is None:
        raise Invalid(f"{body.from_participant} is not registered for this summit", field="from_participant")
    if sender["org_id"] != caller.org_id and not is_organiser(caller, summit):
        raise Forbidden(f"{body.from_participant} is not one of your organisation's participants",
                        field="from_participant")
    receiver = await repo.participant(summit_id, body.to_participant)
    if receiver is None:
        raise Invalid(f"{body.to_participant} is not registered for this summit", field="to_participant")
    if receiver["org_id"] == sender["org_id"]:
        raise Invalid("a meeting request goes to another organisation's participant", field="to_participant")
    score, match_id = await _score(repo, MatchRepository(box.db), body.match_id, sender["org_id"], receiver["org_id"])
    request_id = f"mr_{ObjectId()}"
    doc = {"_id": request_id, "summit_id": summit_id, "from_participant": sender["_id"],
           "to_participant": receiver["_id"], "from_org_id": sender["org_id"], "to_org_id": receiver["org_id"],
           "score": round(min(max(score, 0.0), 1.0), 4), "source": "match" if match_id else "explicit",
           "match_id": match_id, "message": body.message, "status": "pending", "created_at": now,
           "expires_at": now + timedelta(seconds=summit["request_expiry_seconds"]), "decided_at": None}

    async def add(session: AsyncClientSession) -> None:
        """Checked inside the transaction: checked before it, two requests between the same two people sent at
        once (A to B and B to A) both found none and both were made, and accepted became two meetings."""
        await repo.claim_pair(summit_id, sender["_id"], receiver["_id"], session)
        if await repo.live_request_between(summit_id, sender["_id"], receiver["_id"], session):
            raise Conflict("a pending or accepted request between these two participants exists already")
        await repo.add_request(doc, session)

    await commit(box, add, [(topics.SUMMITS, "meeting.requested", summit_id, event_data(doc))])
    return to_public(doc)


async def list_requests(box: Container, caller: Caller, summit_id: str, status: str | None) -> MeetingRequestPage:
    """The caller's requests (sent and received); the organiser sees all of the summit's."""
    repo = SummitRepository(box.db)
    summit = await load_summit(repo, summit_id)
    org = None if is_organiser(caller, summit) else caller.org_id
    return MeetingRequestPage(items=[to_public(d) for d in await repo.requests_of(summit_id, org, status)])


async def expire(box: Container, doc: dict, now: datetime) -> bool:
    """pending -> expired, telling both organisations; False if someone decided it first."""
    repo = SummitRepository(box.db)
    expired = {**doc, "status": "expired", "decided_at": now}
    return await commit_when(box, lambda s: _moved(repo, doc["_id"], "expired", now, s),
                             [(topics.SUMMITS, "meeting.expired", doc["summit_id"], event_data(expired))])


async def _moved(repo: SummitRepository, request_id: str, status: str, now: datetime, session: object) -> bool:
    return await repo.decide(request_id, status, now, session) is not None  # type: ignore[arg-type]


async def decide(box: Container, caller: Caller, summit_id: str, request_id: str, accept: bool,
                 now: datetime) -> MeetingRequestPublic:
    """The receiver (or the organiser) accepts or declines a pending request."""
    repo = SummitRepository(box.db)
    summit = await load_summit(repo, summit_id)
    doc = await repo.request(summit_id, request_id)
    if doc is None:
        raise NotFound(f"meeting request {request_id} not found in summit {summit_id}")
    if doc["to_org_id"] != caller.org_id and not is_organiser(caller, summit):
        raise Forbidden("only the receiving organisation (or the organiser) decides a meeting request")
    if doc["status"] == "pending" and doc["expires_at"] <= now:
        await expire(box, doc, now)
        raise Conflict(f"meeting request {request_id} expired at {doc['expires_at'].isoformat()}")
    if doc["status"] != "pending":
        raise Conflict(f"meeting request {request_id} is already {doc['status']}")
    status = "accepted" if accept else "declined"
    decided = {**doc, "status": status, "decided_at": now}
    done = await commit_when(box, lambda s: _moved(repo, request_id, status, now, s),
                             [(topics.SUMMITS, f"meeting.{status}", summit_id, event_data(decided))])
    if not done:
        raise Conflict(f"meeting request {request_id} was decided meanwhile")
    return to_public(decided)


async def expire_overdue(box: Container, now: datetime, limit: int = 200) -> int:
    """The sweep: every pending request past its expiry becomes expired; returns how many."""
    count = 0
    for doc in await SummitRepository(box.db).overdue_requests(now, limit):
        count += await expire(box, doc, now)
    return count
