from fastapi import APIRouter

from services.registry.deps import Box, CurrentCaller
from services.registry.orgs import service
from services.registry.orgs.schemas import OrgCreate, OrgPublic, OrgRegistered

router = APIRouter(prefix="/v1/orgs", tags=["organisations"])


@router.post("", status_code=201, response_model=OrgRegistered, summary="Register an organisation (open)")
async def register(body: OrgCreate, box: Box) -> OrgRegistered:
    """Self-registration. Returns the organisation and its first API key, shown once."""
    return await service.register_org(box, body)


@router.get("/{org_id}", response_model=OrgPublic, summary="Read an organisation")
async def read(org_id: str, box: Box, _: CurrentCaller) -> OrgPublic:
    return await service.get_org(box, org_id)
