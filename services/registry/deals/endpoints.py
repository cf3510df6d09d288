from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.contracts.deals import DealStatus
from services.registry.concurrency import IfMatch, etag, expected_version
from services.registry.deals import service
from services.registry.deals.schemas import DealCreate, DealPage, DealPublic, DealRegistration, DealUpdate
from services.registry.deps import Box, CurrentCaller

router = APIRouter(prefix="/v1/deals", tags=["deals"])


@router.post("", status_code=201, response_model=DealPublic, summary="Record a deal drafted from a match or meeting")
async def draft(body: DealCreate, box: Box, caller: CurrentCaller, response: Response) -> DealPublic:
    """Either party of the match (or summit meeting) drafts it; the other party confirms it (emits deal.drafted)."""
    deal = await service.draft_deal(box, caller, body)
    response.headers["ETag"] = etag(deal.version)
    return deal


@router.get("", response_model=DealPage, summary="The caller's deals, newest first")
async def list_(box: Box, caller: CurrentCaller, status: DealStatus | None = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50,
                cursor: Annotated[str | None, Query(max_length=100)] = None) -> DealPage:
    return await service.list_deals(box, caller, status, limit, cursor)


@router.get("/{deal_id}", response_model=DealPublic, summary="Read a deal with its version history")
async def read(deal_id: str, box: Box, caller: CurrentCaller, response: Response) -> DealPublic:
    deal = await service.get_deal(box, caller, deal_id)
    response.headers["ETag"] = etag(deal.version)
    return deal


@router.patch("/{deal_id}", response_model=DealPublic, summary="Amend kind, amount or signing date (a new version)")
async def amend(deal_id: str, body: DealUpdate, box: Box, caller: CurrentCaller, response: Response,
                if_match: IfMatch = None) -> DealPublic:
    """Either party; emits deal.amended. Send the version you read (`If-Match` or `version`): 409 if stale."""
    deal = await service.amend_deal(box, caller, deal_id, body, expected_version(if_match, body.version))
    response.headers["ETag"] = etag(deal.version)
    return deal


@router.post("/{deal_id}/confirm", response_model=DealPublic, summary="The other party confirms: signed")
async def confirm(deal_id: str, box: Box, caller: CurrentCaller, response: Response,
                  if_match: IfMatch = None) -> DealPublic:
    """Send the version whose terms you read (`If-Match`): 409 if the other party amended them since."""
    deal = await service.confirm_deal(box, caller, deal_id, expected_version(if_match, None))
    response.headers["ETag"] = etag(deal.version)
    return deal


@router.post("/{deal_id}/register", response_model=DealPublic, summary="Record its 技术合同登记: registered")
async def register(deal_id: str, body: DealRegistration, box: Box, caller: CurrentCaller) -> DealPublic:
    return await service.register_deal(box, caller, deal_id, body)


@router.post("/{deal_id}/perform", response_model=DealPublic, summary="Mark the deal performed")
async def perform(deal_id: str, box: Box, caller: CurrentCaller) -> DealPublic:
    return await service.close_deal(box, caller, deal_id, "perform")


@router.post("/{deal_id}/terminate", response_model=DealPublic, summary="Terminate the deal before it is performed")
async def terminate(deal_id: str, box: Box, caller: CurrentCaller) -> DealPublic:
    return await service.close_deal(box, caller, deal_id, "terminate")
