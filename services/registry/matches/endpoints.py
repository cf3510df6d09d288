from typing import Annotated

from fastapi import APIRouter, Query

from services.registry.deps import Box, CurrentCaller
from services.registry.matches import service
from services.registry.matches.schemas import Accept, Decline, MatchPage, MatchPublic

CURSOR_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.+\-Z]+(_[A-Za-z0-9_\-]+)?$"  # a time, then a match id

router = APIRouter(prefix="/v1/matches", tags=["matches"])


@router.get("", response_model=MatchPage, summary="The caller's matches, newest first, with explanations")
async def list_matches(box: Box, caller: CurrentCaller, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       cursor: Annotated[str | None, Query(max_length=200, pattern=CURSOR_PATTERN,
                                                           description="`next_cursor` of the previous page")] = None,
                       ) -> MatchPage:
    return await service.list_matches(box, caller, limit, cursor)


@router.get("/{match_id}", response_model=MatchPublic, summary="One of the caller's matches")
async def read(match_id: str, box: Box, caller: CurrentCaller) -> MatchPublic:
    return await service.get_match(box, caller, match_id)


@router.post("/{match_id}/accept", response_model=MatchPublic, summary="Accept a match (publishes match.accepted)")
async def accept(match_id: str, box: Box, caller: CurrentCaller, body: Accept | None = None) -> MatchPublic:
    """Only the two parties (404 otherwise). When both have accepted, the match is mutual."""
    return await service.decide(box, caller, match_id, "accepted", None, body.text if body else None)


@router.post("/{match_id}/decline", response_model=MatchPublic, summary="Decline a match (publishes match.declined)")
async def decline(match_id: str, body: Decline, box: Box, caller: CurrentCaller) -> MatchPublic:
    """Only the two parties (404 otherwise). A declined pair is never proposed again."""
    return await service.decide(box, caller, match_id, "declined", body.reason, body.text)
