from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.contracts.catalogue import OrgKind
from services.registry.concurrency import IfMatch, etag, expected_version
from services.registry.deps import Box, CurrentCaller
from services.registry.orgs import service
from services.registry.orgs.schemas import OrgCreate, OrgPage, OrgPublic, OrgRegistered, OrgUpdate

router = APIRouter(prefix="/v1/orgs", tags=["organisations"])


@router.post("", status_code=201, response_model=OrgRegistered, summary="Register an organisation (open)")
async def register(body: OrgCreate, box: Box) -> OrgRegistered:
    """Self-registration. Returns the organisation and its first API key (role `member`), shown once."""
    return await service.register_org(box, body)


@router.get("", response_model=OrgPage, summary="List organisations (filters, text search, cursor pagination)")
async def list_(box: Box, _: CurrentCaller, kind: OrgKind | None = None,
                region: Annotated[str | None, Query(max_length=64)] = None,
                industry_code: Annotated[str | None, Query(max_length=5, description="GB/T 4754 prefix")] = None,
                q: Annotated[str | None, Query(max_length=100, description="Text in the name")] = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50,
                cursor: Annotated[str | None, Query(max_length=100)] = None) -> OrgPage:
    return await service.list_orgs(box, kind, region, industry_code, q, limit, cursor)


@router.get("/{org_id}", response_model=OrgPublic, summary="Read an organisation")
async def read(org_id: str, box: Box, _: CurrentCaller, response: Response) -> OrgPublic:
    org = await service.get_org(box, org_id)
    response.headers["ETag"] = etag(org.version)
    return org


@router.patch("/{org_id}", response_model=OrgPublic, summary="Change an organisation (emits org.updated)")
async def update(org_id: str, body: OrgUpdate, box: Box, caller: CurrentCaller, response: Response,
                 if_match: IfMatch = None) -> OrgPublic:
    """The organisation itself or an admin. Send the version you read (`If-Match` or `version`): 409 if stale."""
    org = await service.update_org(box, caller, org_id, body, expected_version(if_match, body.version))
    response.headers["ETag"] = etag(org.version)
    return org
