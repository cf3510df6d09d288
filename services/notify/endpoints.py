"""Notify's HTTP API: webhook endpoints, the live stream, delivery records."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field

from services.notify import webhooks
from services.notify.deps import Box, CurrentCaller
from services.notify.stream import sse

router = APIRouter()


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"url": "https://example.com/hooks"}]})
    url: str = Field(min_length=8, max_length=2000)
    event_types: list[str] = Field(default=[], description="Empty: every event type")


class WebhookPublic(BaseModel):
    id: str
    url: str
    event_types: list[str]
    status: str


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="The endpoint's `whsec_` signing secret (Standard Webhooks)")


@router.post("/v1/webhooks", status_code=201, response_model=WebhookCreated, tags=["webhooks"])
async def register_webhook(body: WebhookCreate, box: Box, caller: CurrentCaller) -> WebhookCreated:
    doc = await webhooks.register(box.db, caller.org_id, body.url, body.event_types)
    return WebhookCreated(id=doc["_id"], url=doc["url"], event_types=doc["event_types"], status=doc["status"],
                          secret=doc["secret"])


@router.get("/v1/webhooks", response_model=list[WebhookPublic], tags=["webhooks"])
async def list_webhooks(box: Box, caller: CurrentCaller) -> list[WebhookPublic]:
    return [WebhookPublic(id=d["_id"], url=d["url"], event_types=d["event_types"], status=d["status"])
            for d in await webhooks.of_org(box.db, caller.org_id)]


@router.get("/v1/stream", tags=["stream"], response_class=StreamingResponse,
            summary="Server-sent events: the organisation's notifications, live")
async def stream(box: Box, caller: CurrentCaller,
                 last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None) -> StreamingResponse:
    last = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0
    return StreamingResponse(sse(box.db, box.pulse, caller.org_id, last, box.settings.sse_heartbeat_seconds),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/v1/deliveries", tags=["deliveries"], summary="Delivery records, one per attempt, newest first")
async def list_deliveries(box: Box, caller: CurrentCaller, status: str | None = None,
                          notification_id: str | None = None,
                          limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict]:
    query: dict = {"org_id": caller.org_id}
    if status:
        query["status"] = status
    if notification_id:
        query["notification_id"] = notification_id
    docs = await box.db["deliveries"].find(query).sort("at", -1).limit(limit).to_list()
    return [{**{k: v for k, v in d.items() if k != "_id"}, "id": d["_id"]} for d in docs]


@router.get("/healthz", tags=["operations"])
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", tags=["operations"])
async def readyz(box: Box, response: Response) -> dict:
    db_ok, broker_ok = await box.db.ping(), await box.broker.ping(timeout=2.0)
    if not (db_ok and broker_ok):
        response.status_code = 503
    return {"database": db_ok, "broker": broker_ok}


@router.get("/metrics", tags=["operations"])
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
