"""After the summit: 7, 30 and 90 days after a held meeting each side is asked what came of it.

Prompts are stored when the meeting is held (status `scheduled`); the sweep makes them `due` and emits
`followup.due`; the answer is stored (`followup.answered`), and `contract_signed` opens a draft deal
through the deals service (the meeting is the deal's origin).
"""

from datetime import datetime, timedelta

from pymongo.asynchronous.client_session import AsyncClientSession

from services.contracts import topics
from services.contracts.envelope import deterministic_id
from services.registry.auth import Caller
from services.registry.container import Container
from services.registry.deals.schemas import DealCreate
from services.registry.deals.service import drafted, new_draft, store_draft
from services.registry.errors import Conflict, Forbidden, NotFound
from services.registry.summits.repository import SummitRepository
from services.registry.summits.schemas import FollowupAnswer, FollowupPage, FollowupPublic
from services.registry.summits.service import commit_when

FOLLOW_UP_DAYS = (7, 30, 90)


def prompts_for(meeting: dict, ended: datetime) -> list[dict]:
    """One prompt per side and per follow-up day; ids are derived, so creating them twice changes nothing."""
    docs = []
    first, second = meeting["org_ids"]
    for org_id, other in ((first, second), (second, first)):
        for days in FOLLOW_UP_DAYS:
            docs.append({"_id": "fu_" + deterministic_id(meeting["_id"], org_id, days)[:24],
                         "summit_id": meeting["summit_id"], "meeting_id": meeting["_id"], "org_id": org_id,
                         "counterpart_org_id": other, "days_after": days, "due_at": ended + timedelta(days=days),
                         "status": "scheduled", "outcome": None, "note": None, "draft_deal_id": None,
                         "answered_at": None})
    return docs


def to_public(doc: dict) -> FollowupPublic:
    return FollowupPublic.model_validate({**doc, "id": doc["_id"]})


def event_data(doc: dict) -> dict:
    return {**doc, "followup_id": doc["_id"], "at": doc.get("answered_at") or doc["due_at"]}


async def fall_due(box: Container, now: datetime, limit: int = 200) -> int:
    """The sweep: prompts whose day has come become due and `followup.due` tells the organisation."""
    repo = SummitRepository(box.db)
    count = 0
    for doc in await repo.followups_falling_due(now, limit):
        count += await commit_when(
            box, lambda s, d=doc: repo.set_followup(d["_id"], "scheduled", {"status": "due"}, s),
            [(topics.SUMMITS, "followup.due", doc["summit_id"], event_data({**doc, "status": "due"}))])
    return count


async def list_followups(box: Container, caller: Caller, status: str | None) -> FollowupPage:
    docs = await SummitRepository(box.db).followups_of(caller.org_id, status)
    return FollowupPage(items=[to_public(d) for d in docs])


async def answer(box: Container, caller: Caller, followup_id: str, body: FollowupAnswer,
                 now: datetime) -> FollowupPublic:
    repo = SummitRepository(box.db)
    doc = await repo.followup(followup_id)
    if doc is None:
        raise NotFound(f"follow-up {followup_id} not found")
    if doc["org_id"] != caller.org_id and not caller.is_admin:
        raise Forbidden("only the organisation asked answers its follow-up")
    if doc["status"] == "scheduled":
        raise Conflict(f"follow-up {followup_id} is due on {doc['due_at'].date().isoformat()}, not yet")
    if doc["status"] == "answered":
        raise Conflict(f"follow-up {followup_id} was answered already ({doc['outcome']})")
    deal = None
    if body.deal is not None:  # contract_signed: the meeting is the deal's origin
        terms = body.deal
        deal = await new_draft(box, caller, DealCreate(meeting_id=doc["meeting_id"], kind=terms.kind,
                                                       amount=terms.amount, signed_on=terms.signed_on,
                                                       product_id=terms.product_id))
    answered = {**doc, "status": "answered", "outcome": body.outcome, "note": body.note,
                "draft_deal_id": deal and deal["_id"], "answered_at": now,
                "deal_terms": body.deal.model_dump(mode="json") if body.deal else None}
    fields = {k: answered[k] for k in ("status", "outcome", "note", "draft_deal_id", "answered_at", "deal_terms")}

    async def change(session: AsyncClientSession) -> bool:
        """The answer and its draft deal together: of two answers at once, the one that finds the follow-up
        answered stores neither (its deal was stored before, and stayed as a stray draft)."""
        if not await repo.set_followup(followup_id, "due", fields, session):
            return False
        if deal is not None:
            await store_draft(box, deal, session)
        return True

    events = [drafted(deal)] if deal is not None else []
    done = await commit_when(box, change, [*events, (topics.SUMMITS, "followup.answered", doc["summit_id"],
                                                     event_data(answered))])
    if not done:
        raise Conflict(f"follow-up {followup_id} was answered meanwhile")
    return to_public(answered)
