"""Registering and changing organisations; every change and its `org.*` event commit in one transaction."""

from datetime import UTC, datetime

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from services.contracts import topics
from services.registry.auth import Caller, key_document
from services.registry.concurrency import ensure_current
from services.registry.container import Container
from services.registry.errors import Conflict, Forbidden, NotFound
from services.registry.events import commit
from services.registry.orgs.repository import OrgRepository
from services.registry.orgs.schemas import OrgCreate, OrgPage, OrgPublic, OrgRegistered, OrgUpdate
from services.registry.validation import check


def to_public(doc: dict) -> OrgPublic:
    return OrgPublic.model_validate({**doc, "id": doc["_id"]})


def event_data(doc: dict) -> dict:
    return {**doc, "id": doc["_id"]}


async def _ensure_credit_code_free(repo: OrgRepository, credit_code: str | None, org_id: str | None) -> None:
    if credit_code:
        holder = await repo.with_credit_code(credit_code)
        if holder is not None and holder["_id"] != org_id:
            raise Conflict(f"an organisation with credit_code {credit_code} is already registered",
                           field="credit_code")


async def register_org(box: Container, body: OrgCreate) -> OrgRegistered:
    repo = OrgRepository(box.db)
    await _ensure_credit_code_free(repo, body.credit_code, None)
    org_id = f"org_{ObjectId()}"
    now = datetime.now(UTC)
    doc = {"_id": org_id, "version": 1, "status": "active", "created_at": now, "updated_at": now,
           "roles": ["member"], **body.model_dump(mode="json")}
    key, full_key = key_document(org_id, "member", "first key")
    try:
        await commit(box, lambda s: repo.add(doc, key, s),
                     [(topics.ORGS, "org.registered", org_id, event_data(doc))])
    except DuplicateKeyError as error:
        raise Conflict(f"an organisation with credit_code {body.credit_code} is already registered",
                       field="credit_code") from error
    return OrgRegistered(**to_public(doc).model_dump(), api_key=full_key)


async def get_org(box: Container, org_id: str) -> OrgPublic:
    return to_public(await _existing(OrgRepository(box.db), org_id))


async def _existing(repo: OrgRepository, org_id: str) -> dict:
    doc = await repo.get(org_id)
    if doc is None:
        raise NotFound(f"organisation {org_id} not found")
    return doc


def ensure_manages(caller: Caller, org_id: str) -> None:
    """Only the organisation itself (any of its keys) or an admin may change it."""
    if caller.org_id != org_id and not caller.is_admin:
        raise Forbidden(f"only organisation {org_id} itself or an admin can do this")


async def update_org(box: Container, caller: Caller, org_id: str, body: OrgUpdate,
                     expected: int | None) -> OrgPublic:
    repo = OrgRepository(box.db)
    current = await _existing(repo, org_id)
    ensure_manages(caller, org_id)
    ensure_current(expected, current["version"], f"organisation {org_id}")
    changes = body.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    fields = set(OrgCreate.model_fields)
    merged = check(OrgCreate, {**{k: v for k, v in current.items() if k in fields}, **changes})
    await _ensure_credit_code_free(repo, merged.credit_code, org_id)
    doc = {**current, **merged.model_dump(mode="json"), "version": current["version"] + 1,
           "updated_at": datetime.now(UTC)}

    async def change(session) -> None:
        if not await repo.replace(doc, current["version"], session):
            raise Conflict(f"organisation {org_id} changed meanwhile: read it again and reapply your change")

    await commit(box, change, [(topics.ORGS, "org.updated", org_id, event_data(doc))])
    return to_public(doc)


async def list_orgs(box: Container, kind: str | None, region: str | None, industry_code: str | None,
                    q: str | None, limit: int, cursor: str | None) -> OrgPage:
    docs = await OrgRepository(box.db).page(kind, region, industry_code, q, limit + 1, cursor)
    next_cursor = docs[limit - 1]["_id"] if len(docs) > limit else None
    return OrgPage(items=[to_public(d) for d in docs[:limit]], next_cursor=next_cursor)
