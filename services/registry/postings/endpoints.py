"""One router per posting kind, built from its PostingKind: POST, GET list, GET/PATCH/DELETE by id."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, create_model

from services.registry.concurrency import IfMatch, etag, expected_version
from services.registry.deps import Box, CurrentCaller
from services.registry.postings import service
from services.registry.postings.kinds import PostingKind
from services.registry.postings.repository import PostingFilter


def page_model(kind: PostingKind) -> type[BaseModel]:
    name = kind.public.__name__.removesuffix("Public") + "Page"
    return create_model(name, items=(list[kind.public], ...), next_cursor=(str | None, None))  # type: ignore[name-defined]


def router_for(kind: PostingKind, tag: str) -> APIRouter:
    router = APIRouter(prefix=f"/v1/{kind.collection}", tags=[tag])
    create_model_, update_model_, public_model, page = kind.create, kind.update, kind.public, page_model(kind)
    kind_doc = ("product type" if kind.kind_field == "product_type" else
                "kind of the posting organisation (firm, university, institute, ...)")

    @router.post("", status_code=201, response_model=public_model, summary=f"Post a {kind.name}")
    async def create(body: create_model_, box: Box, caller: CurrentCaller):  # type: ignore[valid-type]
        return await service.create_posting(box, kind, caller, body)

    @router.get("", response_model=page, summary=f"List {kind.collection}: filters, `q` text search, cursor pages")
    async def list_(box: Box, caller: CurrentCaller,
                    status: Annotated[str | None, Query(max_length=20)] = None,
                    kind_: Annotated[str | None, Query(alias="kind", max_length=40, description=kind_doc)] = None,
                    industry_code: Annotated[str | None, Query(pattern=r"^[A-T][0-9]{0,4}$",
                                                               description="GB/T 4754 code or prefix")] = None,
                    region: Annotated[str | None, Query(max_length=64)] = None,
                    q: Annotated[str | None, Query(min_length=1, max_length=100,
                                                   description=f"Text in {', '.join(kind.text_fields)}")] = None,
                    mine: Annotated[bool, Query(description="Only the caller's own")] = False,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50,
                    cursor: Annotated[str | None, Query(max_length=100, description="`next_cursor` of the "
                                                        "previous page")] = None):
        f = PostingFilter(status=status, kind=kind_, industry_code=industry_code, region=region, q=q,
                          org_id=caller.org_id if mine else None)
        items, next_cursor = await service.list_postings(box, kind, caller, f, limit, cursor)
        return {"items": items, "next_cursor": next_cursor}

    @router.get("/{posting_id}", response_model=public_model, summary=f"Read one {kind.name}")
    async def read(posting_id: str, box: Box, caller: CurrentCaller, response: Response):
        posting = await service.get_posting(box, kind, caller, posting_id)
        response.headers["ETag"] = etag(posting.version)  # type: ignore[attr-defined]
        return posting

    @router.patch("/{posting_id}", response_model=public_model,
                  summary=f"Change a {kind.name}, or move its status on (emits {kind.updated_event} / "
                          f"{kind.closed_event})")
    async def update(posting_id: str, body: update_model_, box: Box, caller: CurrentCaller,  # type: ignore[valid-type]
                     response: Response, if_match: IfMatch = None):
        """Only the owner (or an admin). Send the version you read as `If-Match` or `version`: 409 if stale."""
        expected = expected_version(if_match, body.version)  # type: ignore[attr-defined]
        posting = await service.update_posting(box, kind, caller, posting_id, body, expected)
        response.headers["ETag"] = etag(posting.version)  # type: ignore[attr-defined]
        return posting

    @router.delete("/{posting_id}", status_code=204, summary=f"Delete a {kind.name} (emits {kind.deleted_event})")
    async def delete(posting_id: str, box: Box, caller: CurrentCaller, if_match: IfMatch = None) -> Response:
        await service.delete_posting(box, kind, caller, posting_id, expected_version(if_match, None))
        return Response(status_code=204)

    return router
