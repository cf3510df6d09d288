"""Registering organisations: the org, its first key and `org.registered`, in one transaction."""

import uuid
from datetime import UTC, datetime

from services.contracts import topics
from services.registry.auth import key_document
from services.registry.container import Container
from services.registry.errors import NotFound
from services.registry.events import commit
from services.registry.orgs.repository import OrgRepository
from services.registry.orgs.schemas import OrgCreate, OrgPublic, OrgRegistered


def to_public(doc: dict) -> OrgPublic:
    return OrgPublic.model_validate({**doc, "id": doc["_id"]})


async def register_org(box: Container, body: OrgCreate) -> OrgRegistered:
    org_id = f"org_{uuid.uuid4().hex[:16]}"
    now = datetime.now(UTC)
    doc = {"_id": org_id, "version": 1, "status": "active", "created_at": now, "updated_at": now,
           **body.model_dump(mode="json")}
    key, full_key = key_document(org_id, "member", "first key")
    repo = OrgRepository(box.db)
    event = {**doc, "id": org_id}
    await commit(box, lambda s: repo.add(doc, key, s), [(topics.ORGS, "org.registered", org_id, event)])
    return OrgRegistered(**to_public(doc).model_dump(), api_key=full_key)


async def get_org(box: Container, org_id: str) -> OrgPublic:
    doc = await OrgRepository(box.db).get(org_id)
    if doc is None:
        raise NotFound(f"organisation {org_id} not found")
    return to_public(doc)
