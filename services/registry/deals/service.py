"""Recording deals: drafted by one party of a match or summit meeting, confirmed by the other, registered,
performed or terminated, amended in versions. Every change and its `deal.*` event commit in one transaction."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from services.contracts import topics
from services.contracts.deals import FINANCING_KINDS, category_of
from services.registry.auth import Caller
from services.registry.concurrency import ensure_current
from services.registry.container import Container
from services.registry.deals import domain
from services.registry.deals.repository import DealRepository
from services.registry.deals.schemas import DealCreate, DealPage, DealPublic, DealRegistration, DealUpdate
from services.registry.errors import Conflict, Forbidden, Invalid, NotFound
from services.registry.events import commit
from services.registry.matches.privacy import known_to
from services.registry.matches.repository import MatchRepository

CLOSED_MATCH = ("retracted", "declined")
CLOSED_MEETING = ("pending", "requested", "declined", "expired", "cancelled", "withdrawn")


def to_public(doc: dict) -> DealPublic:
    return DealPublic.model_validate({**doc, "id": doc["_id"]})


def event_data(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in ("_id", "history", "party_org_ids")} | {"id": doc["_id"]}


async def _origin(repo: DealRepository, caller: Caller, body: DealCreate) -> tuple[list[str], dict]:
    """The two organisations and where they came together; 422 when they were never matched and never met."""
    if body.match_id is not None:
        match = await repo.match(body.match_id)
        if match is None or caller.org_id not in match.get("org_ids", []):
            raise Invalid(f"no match {body.match_id} of organisation {caller.org_id}: the parties were never "
                          "matched (a deal needs a match or a summit meeting between them)", field="match_id")
        if match.get("status") in CLOSED_MATCH:
            raise Invalid(f"match {body.match_id} was {match['status']}: the parties are not matched",
                          field="match_id")
        if not await known_to(MatchRepository(repo.db), caller.org_id, [match]):  # the deal would name the owner
            raise Invalid(f"match {body.match_id} is with a confidential need: a deal can be drafted from it once "
                          "both sides accepted the match", field="match_id")
        meeting = await repo.meeting_of_match(body.match_id)
        return list(match["org_ids"]), {"match_id": body.match_id, "meeting_id": meeting and meeting["_id"],
                                        "summit_id": meeting and meeting.get("summit_id")}
    assert body.meeting_id is not None
    meeting = await repo.meeting(body.meeting_id)
    if meeting is None or caller.org_id not in meeting.get("org_ids", []):
        raise Invalid(f"no summit meeting {body.meeting_id} of organisation {caller.org_id}: the parties never "
                      "met (a deal needs a match or a summit meeting between them)", field="meeting_id")
    if meeting.get("status") in CLOSED_MEETING:
        raise Invalid(f"summit meeting {body.meeting_id} is {meeting['status']}: the parties have not met",
                      field="meeting_id")
    return list(meeting["org_ids"]), {"match_id": meeting.get("match_id"), "meeting_id": body.meeting_id,
                                      "summit_id": meeting.get("summit_id")}


async def _parties(repo: DealRepository, org_ids: list[str]) -> list[dict]:
    parties = []
    for org_id in org_ids:
        org = await repo.org(org_id)
        if org is None:
            raise Invalid(f"party {org_id} is not a registered organisation", field="match_id")
        parties.append({"org_id": org_id, "kind": org["kind"], "name": org.get("name")})
    if len({p["org_id"] for p in parties}) != 2:
        raise Invalid("a deal needs two different organisations", field="match_id")
    return parties


async def _financing(repo: DealRepository, body: DealCreate, parties: list[dict]) -> dict:
    if body.kind not in FINANCING_KINDS:
        return {"product_id": None, "product_type": None}
    if not any(p["kind"] == "financier" for p in parties):
        raise Invalid(f"a {body.kind} is a financing deal and needs a financier among its parties", field="kind")
    if body.product_id is None:
        return {"product_id": None, "product_type": None}
    product = await repo.product(body.product_id)
    if product is None:
        raise Invalid(f"no financing product {body.product_id}", field="product_id")
    if product.get("org_id") not in {p["org_id"] for p in parties}:
        raise Invalid(f"product {body.product_id} is not offered by a party of this deal", field="product_id")
    if problem := domain.product_problem(body.kind, product.get("product_type")):
        raise Invalid(problem, field="product_id")
    return {"product_id": body.product_id, "product_type": product.get("product_type")}


async def new_draft(box: Container, caller: Caller, body: DealCreate) -> dict:
    """The draft deal's document, checked (422 with the reason otherwise), not yet stored: `store_draft` stores it,
    in a transaction of its own or of the caller's (a follow-up answered with a signed contract)."""
    if problem := domain.signed_on_problem(body.signed_on, box.settings.today()):
        raise Invalid(problem, field="signed_on")
    repo = DealRepository(box.db)
    org_ids, origin = await _origin(repo, caller, body)
    parties = await _parties(repo, org_ids)
    financing = await _financing(repo, body, parties)
    now = datetime.now(UTC)
    doc = {"_id": f"deal_{ObjectId()}", "version": 1, "status": "draft", "kind": body.kind,
           "category": category_of(body.kind), "amount": body.amount, "currency": "CNY",
           "signed_on": body.signed_on.isoformat(), "parties": parties, "party_org_ids": org_ids,
           "drafted_by": caller.org_id, "confirmed_by": None, **origin, **financing,
           "registration_number": None, "registered_on": None, "created_at": now, "updated_at": now}
    doc["history"] = [domain.revision(doc, "draft", caller.org_id, now)]
    return doc


async def store_draft(box: Container, doc: dict, session: AsyncClientSession) -> None:
    await DealRepository(box.db).add(doc, session)


def drafted(doc: dict) -> tuple[str, str, str, dict]:
    """The draft's `deal.drafted` event, to commit with it."""
    return topics.DEALS, "deal.drafted", doc["_id"], event_data(doc)


async def draft_deal(box: Container, caller: Caller, body: DealCreate) -> DealPublic:
    doc = await new_draft(box, caller, body)
    await commit(box, lambda s: store_draft(box, doc, s), [drafted(doc)])
    return to_public(doc)


async def _existing(repo: DealRepository, deal_id: str) -> dict:
    doc = await repo.get(deal_id)
    if doc is None:
        raise NotFound(f"deal {deal_id} not found")
    return doc


def _ensure_party(caller: Caller, deal: dict, doing: str) -> None:
    if caller.org_id not in deal["party_org_ids"]:
        raise Forbidden(f"only the parties of deal {deal['_id']} can {doing} it; organisation {caller.org_id} "
                        "is not one of them")


async def _save(box: Container, repo: DealRepository, before: dict, after: dict, action: domain.Action,
                claim: Callable[[AsyncClientSession], Awaitable[None]] | None = None) -> DealPublic:
    """`claim`: a write that must succeed in the same transaction (a registration number taken)."""
    async def change(session) -> None:
        if claim is not None:
            await claim(session)
        if not await repo.replace(after, before["version"], session):
            raise Conflict(f"deal {before['_id']} changed meanwhile: read it again and reapply your change")

    await commit(box, change, [(topics.DEALS, domain.EVENT_OF[action], after["_id"], event_data(after))])
    return to_public(after)


async def get_deal(box: Container, caller: Caller, deal_id: str) -> DealPublic:
    deal = await _existing(DealRepository(box.db), deal_id)
    if caller.role not in ("organiser", "admin", "internal"):
        _ensure_party(caller, deal, "read")
    return to_public(deal)


async def list_deals(box: Container, caller: Caller, status: str | None, limit: int, cursor: str | None) -> DealPage:
    docs = await DealRepository(box.db).of_org(caller.org_id, status, limit + 1, cursor)
    next_cursor = docs[limit - 1]["_id"] if len(docs) > limit else None
    return DealPage(items=[to_public(d) for d in docs[:limit]], next_cursor=next_cursor)


async def confirm_deal(box: Container, caller: Caller, deal_id: str, expected: int | None = None) -> DealPublic:
    """`expected`: the version whose terms the caller read; signing a later one would sign terms it has not seen."""
    repo = DealRepository(box.db)
    deal = await _existing(repo, deal_id)
    _ensure_party(caller, deal, "confirm")
    ensure_current(expected, deal["version"], f"deal {deal_id}")
    if caller.org_id == domain.proposer(deal):
        other = next(o for o in deal["party_org_ids"] if o != caller.org_id)
        raise Forbidden(f"the other party, organisation {other}, confirms the terms that {caller.org_id} "
                        "drafted or last amended")
    after = domain.advance(deal, "confirm", caller.org_id, datetime.now(UTC), confirmed_by=caller.org_id)
    return await _save(box, repo, deal, after, "confirm")


async def register_deal(box: Container, caller: Caller, deal_id: str, body: DealRegistration) -> DealPublic:
    repo = DealRepository(box.db)
    deal = await _existing(repo, deal_id)
    _ensure_party(caller, deal, "register")
    number = body.registration_number.strip()
    if problem := domain.registration_number_problem(number, box.settings.deal_registration_pattern):
        raise Invalid(problem, field="registration_number")
    today = box.settings.today()
    registered_on = body.registered_on or today
    if registered_on.isoformat() < deal["signed_on"] or registered_on > today:
        raise Invalid(f"{registered_on} must lie between the signing date {deal['signed_on']} and today",
                      field="registered_on")
    holder = await repo.with_registration_number(number)
    if holder is not None and holder["_id"] != deal_id:
        raise Conflict(f"registration number {number} is already recorded for deal {holder['_id']}",
                       field="registration_number")
    after = domain.advance(deal, "register", caller.org_id, datetime.now(UTC), registration_number=number,
                           registered_on=registered_on.isoformat())
    try:
        return await _save(box, repo, deal, after, "register",
                           lambda session: repo.claim_registration_number(number, deal_id, session))
    except DuplicateKeyError as error:
        raise Conflict(f"registration number {number} is already recorded for another deal",
                       field="registration_number") from error


async def close_deal(box: Container, caller: Caller, deal_id: str, action: domain.Action) -> DealPublic:
    """`perform` or `terminate`, by either party."""
    repo = DealRepository(box.db)
    deal = await _existing(repo, deal_id)
    _ensure_party(caller, deal, action)
    after = domain.advance(deal, action, caller.org_id, datetime.now(UTC))
    return await _save(box, repo, deal, after, action)


async def amend_deal(box: Container, caller: Caller, deal_id: str, body: DealUpdate,
                     expected: int | None) -> DealPublic:
    repo = DealRepository(box.db)
    deal = await _existing(repo, deal_id)
    _ensure_party(caller, deal, "amend")
    ensure_current(expected, deal["version"], f"deal {deal_id}")
    if body.signed_on is not None and (problem := domain.signed_on_problem(body.signed_on, box.settings.today())):
        raise Invalid(problem, field="signed_on")
    if body.signed_on is not None and deal.get("registered_on") and body.signed_on.isoformat() > deal["registered_on"]:
        raise Invalid(f"{body.signed_on} is after the registration date {deal['registered_on']}", field="signed_on")
    changes = {"kind": body.kind, "amount": body.amount,
               "signed_on": body.signed_on.isoformat() if body.signed_on else None}
    after = domain.amend(deal, changes, caller.org_id, datetime.now(UTC))
    if after is None:
        return to_public(deal)
    return await _save(box, repo, deal, after, "amend")
