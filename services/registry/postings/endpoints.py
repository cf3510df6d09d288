"""One router per posting kind, built from its PostingKind."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.registry.deps import Box, CurrentCaller
from services.registry.postings import service
from services.registry.postings.kinds import PostingKind


class Page(BaseModel):
    items: list[dict]
    next_cursor: str | None = None


def router_for(kind: PostingKind, tag: str) -> APIRouter:
    router = APIRouter(prefix=f"/v1/{kind.collection}", tags=[tag])
    create_model, public_model = kind.create, kind.public

    @router.post("", status_code=201, response_model=public_model, summary=f"Post a {kind.name}")
    async def create(body: create_model, box: Box, caller: CurrentCaller):  # type: ignore[valid-type]
        return await service.create_posting(box, kind, caller, body)

    @router.get("", summary=f"List {kind.collection} (cursor pagination)")
    async def list_(box: Box, caller: CurrentCaller, status: str | None = None, mine: bool = False,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None) -> dict:
        items, next_cursor = await service.list_postings(box, kind, caller, status, mine, limit, cursor)
        return {"items": [i.model_dump(mode="json") for i in items], "next_cursor": next_cursor}

    @router.get("/{posting_id}", response_model=public_model, summary=f"Read one {kind.name}")
    async def read(posting_id: str, box: Box, caller: CurrentCaller):
        return await service.get_posting(box, kind, caller, posting_id)

    return router
