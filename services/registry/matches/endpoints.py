from typing import Annotated

from fastapi import APIRouter, Query

from services.registry.deps import Box, CurrentCaller
from services.registry.matches.repository import MatchRepository
from services.registry.matches.schemas import MatchPage, MatchPublic

router = APIRouter(prefix="/v1/matches", tags=["matches"])


@router.get("", response_model=MatchPage, summary="The caller's matches, newest first, with explanations")
async def list_matches(box: Box, caller: CurrentCaller, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       cursor: str | None = None) -> MatchPage:
    docs = await MatchRepository(box.db).for_org(caller.org_id, limit + 1, cursor)
    items = [MatchPublic.model_validate({**d, "id": d["_id"]}) for d in docs[:limit]]
    next_cursor = items[-1].proposed_at.isoformat() if len(docs) > limit else None
    return MatchPage(items=items, next_cursor=next_cursor)
