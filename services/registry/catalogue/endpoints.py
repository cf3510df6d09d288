import json
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from services.registry.catalogue.repository import snapshot
from services.registry.deps import Box, CurrentCaller

router = APIRouter(prefix="/v1/catalogue", tags=["catalogue"])


@router.get("/snapshot", summary="All open postings, organisations and live matches as NDJSON (internal role)",
            response_class=StreamingResponse)
async def catalogue_snapshot(box: Box, caller: CurrentCaller) -> StreamingResponse:
    """One JSON object per line: `{"aggregate": "need" | "result" | ... | "org" | "match", "data": {...}}`."""
    caller.require("internal")

    async def lines() -> AsyncIterator[bytes]:
        async for aggregate, data in snapshot(box.db):
            yield (json.dumps({"aggregate": aggregate, "data": data}, default=str, ensure_ascii=False) + "\n").encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson")
