"""Creating and reading postings of any kind; every write goes out as an event through the outbox."""

from datetime import UTC, datetime

from bson import ObjectId
from pydantic import BaseModel

from services.registry.auth import Caller
from services.registry.container import Container
from services.registry.errors import Forbidden, NotFound
from services.registry.events import commit
from services.registry.orgs.repository import OrgRepository
from services.registry.postings.kinds import PostingKind
from services.registry.postings.repository import PostingRepository


def to_public(kind: PostingKind, doc: dict) -> BaseModel:
    return kind.public.model_validate({**doc, "id": doc["_id"]})


def event_data(doc: dict) -> dict:
    return {**doc, "id": doc["_id"]}


async def create_posting(box: Container, kind: PostingKind, caller: Caller, body: BaseModel) -> BaseModel:
    if kind.allowed_org_kinds is not None:
        org = await OrgRepository(box.db).get(caller.org_id)
        if org is None or org["kind"] not in kind.allowed_org_kinds:
            raise Forbidden(f"only {', '.join(kind.allowed_org_kinds)} organisations can post {kind.collection}")
    now = datetime.now(UTC)
    posting_id = f"{kind.id_prefix}_{ObjectId()}"
    doc = {"status": kind.open_status, **body.model_dump(mode="json"), "_id": posting_id,
           "org_id": caller.org_id, "version": 1, "created_at": now, "updated_at": now}
    repo = PostingRepository(box.db, kind.collection)
    await commit(box, lambda s: repo.add(doc, s), [(kind.topic, kind.created_event, posting_id, event_data(doc))])
    return to_public(kind, doc)


def visible_to(doc: dict, caller: Caller) -> bool:
    if caller.is_admin or caller.role == "internal" or doc["org_id"] == caller.org_id:
        return True
    return doc.get("visibility", "public") == "public" and doc.get("status") != "draft"


async def get_posting(box: Container, kind: PostingKind, caller: Caller, posting_id: str) -> BaseModel:
    doc = await PostingRepository(box.db, kind.collection).get(posting_id)
    if doc is None or not visible_to(doc, caller):
        raise NotFound(f"{kind.name} {posting_id} not found")
    return to_public(kind, doc)


async def list_postings(box: Container, kind: PostingKind, caller: Caller, status: str | None, mine: bool,
                        limit: int, cursor: str | None) -> tuple[list[BaseModel], str | None]:
    query: dict = {}
    if mine:
        query["org_id"] = caller.org_id
    elif not (caller.is_admin or caller.role == "internal"):
        query["$or"] = [{"org_id": caller.org_id},
                        {"visibility": {"$ne": "confidential"}, "status": {"$ne": "draft"}}]
    if status:
        query["status"] = status
    docs = await PostingRepository(box.db, kind.collection).page(query, limit + 1, cursor)
    next_cursor = docs[limit - 1]["_id"] if len(docs) > limit else None
    return [to_public(kind, d) for d in docs[:limit]], next_cursor
