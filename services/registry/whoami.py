from fastapi import APIRouter
from pydantic import BaseModel

from services.registry.deps import CurrentCaller

router = APIRouter(prefix="/v1/auth", tags=["keys"])


class Identity(BaseModel):
    org_id: str
    role: str
    key_id: str


@router.get("/whoami", response_model=Identity, summary="The organisation and role an API key acts as")
async def whoami(caller: CurrentCaller) -> Identity:
    """Used by notify (and any client) to check a key; 401 when it is missing, wrong or revoked."""
    return Identity(org_id=caller.org_id, role=caller.role, key_id=caller.key_id)
