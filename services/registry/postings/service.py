"""Posting, reading, changing, closing and deleting postings of any kind; every write goes out as an event
through the outbox, in the same transaction."""

from datetime import UTC, datetime

from bson import ObjectId
from pydantic import BaseModel

from services.registry.auth import Caller
from services.registry.concurrency import ensure_current
from services.registry.container import Container
from services.registry.errors import Conflict, Forbidden, Invalid, NotFound
from services.registry.events import commit, create
from services.registry.postings.access import Sight, anonymised, is_secret, list_visibility, owns, sight
from services.registry.postings.kinds import PostingKind
from services.registry.postings.repository import PostingFilter, PostingRepository
from services.registry.validation import check


def to_public(kind: PostingKind, doc: dict) -> BaseModel:
    return kind.public.model_validate({**doc, "id": doc["_id"]})


def event_data(doc: dict) -> dict:
    return {**doc, "id": doc["_id"]}


async def create_posting(box: Container, kind: PostingKind, caller: Caller, body: BaseModel,
                         on_behalf_of: str | None = None) -> BaseModel:
    """`on_behalf_of`: an organiser importing postings for another organisation (see imports/)."""
    caller.require("member", "organiser")
    org_id = on_behalf_of or caller.org_id
    org_kind = await box.org_kinds.of(org_id)
    if kind.allowed_org_kinds is not None and org_kind not in kind.allowed_org_kinds:
        raise Forbidden(f"only {', '.join(kind.allowed_org_kinds)} organisations can post {kind.collection}")
    now = datetime.now(UTC)
    posting_id = f"{kind.id_prefix}_{ObjectId()}"
    fields = body.model_dump(mode="json")
    for owner_field in kind.owner_fields:
        fields[owner_field] = fields.get(owner_field) or org_id
    doc = {"status": kind.open_status, **fields, "_id": posting_id, "org_id": org_id,
           "org_kind": org_kind, "version": 1, "created_at": now, "updated_at": now}
    await create(box, kind.collection, doc, [(kind.topic, kind.created_event, posting_id, event_data(doc))])
    return to_public(kind, doc)


async def _sight(repo: PostingRepository, kind: PostingKind, caller: Caller, posting_id: str) -> tuple[dict, Sight]:
    doc = await repo.get(posting_id)
    if doc is None:
        raise NotFound(f"{kind.name} {posting_id} not found")
    match = None
    if is_secret(doc) and not owns(doc, caller) and doc.get("status") != "draft":
        match = await repo.matched_with(posting_id, caller.org_id)
    seen = sight(doc, caller, match)
    if seen is Sight.HIDDEN:
        raise NotFound(f"{kind.name} {posting_id} not found")
    return doc, seen


async def get_posting(box: Container, kind: PostingKind, caller: Caller, posting_id: str) -> BaseModel:
    doc, seen = await _sight(PostingRepository(box.db, kind.collection), kind, caller, posting_id)
    return to_public(kind, anonymised(doc) if seen is Sight.ANONYMISED else doc)


async def _owned(repo: PostingRepository, kind: PostingKind, caller: Caller, posting_id: str) -> dict:
    """The posting, if the caller may change it: 404 when they may not even see it, 403 when they may."""
    doc, _ = await _sight(repo, kind, caller, posting_id)
    if not owns(doc, caller):
        raise Forbidden(f"{kind.name} {posting_id} belongs to another organisation")
    return doc


async def update_posting(box: Container, kind: PostingKind, caller: Caller, posting_id: str, body: BaseModel,
                         expected: int | None) -> BaseModel:
    repo = PostingRepository(box.db, kind.collection)
    current = await _owned(repo, kind, caller, posting_id)
    ensure_current(expected, current["version"], f"{kind.name} {posting_id}")
    changes = body.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    status = changes.pop("status", None) or current["status"]
    if current["status"] in kind.closed_statuses:
        raise Conflict(f"{kind.name} {posting_id} is {current['status']} and can no longer change")
    if not kind.transition_allowed(current["status"], status):
        raise Invalid(f"a {kind.name} cannot go from {current['status']} to {status}", field="status")
    fields = set(kind.create.model_fields) - {"status"}
    merged = check(kind.create, {**{k: v for k, v in current.items() if k in fields}, **changes})
    doc = {**current, **merged.model_dump(mode="json", exclude={"status"}), "status": status,
           "version": current["version"] + 1, "updated_at": datetime.now(UTC)}
    closing = status in kind.closed_statuses
    event_type = kind.closed_event if closing else kind.updated_event

    async def change(session) -> None:
        if not await repo.replace(doc, current["version"], session):
            raise Conflict(f"{kind.name} {posting_id} changed meanwhile: read it again and reapply your change")

    await commit(box, change, [(kind.topic, event_type, posting_id, event_data(doc))])
    return to_public(kind, doc)


async def delete_posting(box: Container, kind: PostingKind, caller: Caller, posting_id: str,
                         expected: int | None) -> None:
    repo = PostingRepository(box.db, kind.collection)
    current = await _owned(repo, kind, caller, posting_id)
    ensure_current(expected, current["version"], f"{kind.name} {posting_id}")
    last = {**current, "status": "deleted", "version": current["version"] + 1, "updated_at": datetime.now(UTC)}

    async def change(session) -> None:
        if not await repo.remove(posting_id, current["version"], session):
            raise Conflict(f"{kind.name} {posting_id} changed meanwhile: read it again")

    await commit(box, change, [(kind.topic, kind.deleted_event, posting_id, event_data(last))])


async def list_postings(box: Container, kind: PostingKind, caller: Caller, f: PostingFilter, limit: int,
                        cursor: str | None) -> tuple[list[BaseModel], str | None]:
    docs = await PostingRepository(box.db, kind.collection).page(kind, list_visibility(caller), f, limit + 1, cursor)
    next_cursor = docs[limit - 1]["_id"] if len(docs) > limit else None
    return [to_public(kind, d) for d in docs[:limit]], next_cursor
