"""API keys and roles of an organisation: keys are hashed, shown once, revocable; roles are granted by admins."""

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.registry.auth import key_document
from services.registry.deps import Box, CurrentCaller
from services.registry.errors import Forbidden, NotFound
from services.registry.orgs.repository import OrgRepository
from services.registry.orgs.schemas import OrgPublic
from services.registry.orgs.service import ensure_manages, get_org, to_public

router = APIRouter(prefix="/v1/orgs/{org_id}", tags=["keys"])

GrantableRole = Literal["member", "organiser", "admin"]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"label": "CI pipeline", "role": "member"}, {"label": "summit desk", "role": "organiser"}]})

    label: str = Field(default="key", min_length=1, max_length=100)
    role: GrantableRole = Field(default="member", description="A role the organisation has been granted, and at most "
                                                              "the role of the key that creates it (admins: any)")


class KeyPublic(BaseModel):
    id: str
    label: str
    role: str
    created_at: datetime
    revoked_at: datetime | None = None


class KeyIssued(KeyPublic):
    key: str = Field(description="Shown once: store it now. Only its hash is kept.")


class KeyList(BaseModel):
    items: list[KeyPublic]


class RoleGrant(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"role": "organiser"}]})

    role: GrantableRole


def _public(doc: dict) -> KeyPublic:
    return KeyPublic.model_validate({**doc, "id": doc["_id"]})


@router.post("/keys", status_code=201, response_model=KeyIssued, summary="Create an API key (shown once)")
async def create_key(org_id: str, body: KeyCreate, box: Box, caller: CurrentCaller) -> KeyIssued:
    org = await get_org(box, org_id)
    ensure_manages(caller, org_id)
    if body.role not in org.roles:
        raise Forbidden(f"organisation {org_id} has not been granted the role {body.role}; an admin grants roles",
                        field="role")
    if not caller.can_issue(body.role):
        raise Forbidden(f"a {caller.role} key cannot create a {body.role} key: use a key of that role, or ask an "
                        "admin", field="role")
    doc, full_key = key_document(org_id, body.role, body.label)
    await OrgRepository(box.db).add_key(doc)
    return KeyIssued(**_public(doc).model_dump(), key=full_key)


@router.get("/keys", response_model=KeyList, summary="List the organisation's keys (never their secrets)")
async def list_keys(org_id: str, box: Box, caller: CurrentCaller) -> KeyList:
    await get_org(box, org_id)
    ensure_manages(caller, org_id)
    return KeyList(items=[_public(d) for d in await OrgRepository(box.db).keys_of(org_id)])


@router.delete("/keys/{key_id}", response_model=KeyPublic, summary="Revoke an API key (at once, for good)")
async def revoke_key(org_id: str, key_id: str, box: Box, caller: CurrentCaller) -> KeyPublic:
    await get_org(box, org_id)
    ensure_manages(caller, org_id)
    repo = OrgRepository(box.db)
    key = await repo.key(org_id, key_id)
    if key is None:
        raise NotFound(f"key {key_id} of organisation {org_id} not found")
    if not caller.can_issue(key["role"]):
        raise Forbidden(f"a {caller.role} key cannot revoke a {key['role']} key: use a key of that role, or ask an "
                        "admin")
    doc = await repo.revoke_key(org_id, key_id)
    box.keys.forget(key_id)
    assert doc is not None
    return _public(doc)


@router.post("/roles", response_model=OrgPublic, summary="Grant a role to an organisation (admins only)")
async def grant_role(org_id: str, body: RoleGrant, box: Box, caller: CurrentCaller) -> OrgPublic:
    """An admin then creates the organisation's first key with that role (`POST .../keys`), which can create more;
    its member keys cannot. Granting a role it has changes nothing."""
    if not caller.is_admin:
        raise Forbidden("only an admin can grant roles")
    await get_org(box, org_id)
    doc = await OrgRepository(box.db).grant_role(org_id, body.role)
    assert doc is not None
    return to_public(doc)


@router.delete("/roles/{role}", response_model=OrgPublic, summary="Withdraw a role (admins only; revokes its keys)")
async def withdraw_role(org_id: str, role: Literal["organiser", "admin"], box: Box, caller: CurrentCaller) -> OrgPublic:
    if not caller.is_admin:
        raise Forbidden("only an admin can withdraw roles")
    await get_org(box, org_id)
    doc = await OrgRepository(box.db).withdraw_role(org_id, role)
    box.keys.forget_org(org_id)
    assert doc is not None
    return to_public(doc)
