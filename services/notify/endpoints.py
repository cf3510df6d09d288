"""Notify's HTTP API, part one: webhook endpoints, the live stream (and its notifications polled), operations."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Response
from fastapi.responses import StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from services.notify.deps import Box, CurrentCaller, OwnEndpoint, StreamCaller
from services.notify.event_types import EventTypeList, unknown
from services.notify.ssrf import UrlRefused, pin
from services.notify.stream import MAX_SEQ, Cursor, NotificationBody, NotificationPublic, resume_point, sse

router = APIRouter()
NOT_OWN: dict[int | str, dict] = {404: {"description": "No such endpoint of the caller's"}}
NOT_ACTIVE: dict[int | str, dict] = {409: {"description": "The endpoint is disabled: enable it first"}}


def known_event_types(event_types: list[str] | None) -> list[str] | None:
    if event_types and (why := unknown(event_types)):
        raise ValueError(why)
    return event_types


EventTypes = Annotated[EventTypeList, AfterValidator(known_event_types)]


def storable(value: datetime) -> datetime:
    """A time that is a date in UTC too (years 1 to 9999), as it is stored and compared."""
    try:
        value.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("out of range: in UTC it falls outside the years 1 to 9999") from error
    return value


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"url": "https://hooks.example.com/duijie", "event_types": ["match.proposed"], "description": "技术转移系统"}]})
    url: str = Field(min_length=8, max_length=2000, description="https, resolving to a public address")
    event_types: EventTypes = Field(default=[], description="Empty: every event type (GET /v1/event-types)")
    description: str = Field(default="", max_length=200, description="What the endpoint is for, for people")


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"event_types": ["match.proposed", "match.accepted"]}, {"url": "https://hooks.example.com/duijie/v2"}]})
    url: str | None = Field(default=None, min_length=8, max_length=2000, description="Omitted or null: unchanged")
    event_types: EventTypes | None = Field(default=None, description="Empty: every event type; omitted or null: "
                                                                     "unchanged")
    description: str | None = Field(default=None, max_length=200, description="Omitted or null: unchanged")


class WebhookRotate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"overlap_seconds": 86400}]})
    overlap_seconds: float | None = Field(default=None, ge=0, le=30 * 86400,
                                          description="How long the old secret keeps signing too (default 24 h)")


class WebhookPublic(BaseModel):
    id: str
    url: str
    event_types: list[str]
    description: str
    status: str = Field(description="active; paused by its owner (messages wait); disabled after a 410 Gone")
    disabled_reason: str | None = None
    previous_secret_until: datetime | None = None
    created_at: datetime


class WebhookDetail(WebhookPublic):
    retrying: int = Field(description="Messages for it on their retry schedule: waiting for their next attempt, "
                                      "or being sent")
    dead_letters: int = Field(description="Messages dead-lettered for it and not sent again since "
                                          "(POST /v1/webhooks/{id}/recover)")


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="The endpoint's `whsec_` signing secret (Standard Webhooks)")


def public(doc: dict) -> WebhookPublic:
    return WebhookPublic(id=doc["_id"], url=doc["url"], event_types=doc["event_types"],
                         description=doc.get("description", ""), status=doc["status"],
                         disabled_reason=doc.get("disabled_reason"),
                         previous_secret_until=doc.get("previous_secret_until"), created_at=doc["created_at"])


def active(endpoint: dict) -> None:
    if endpoint["status"] != "active":
        raise HTTPException(409, f"webhook endpoint {endpoint['_id']} is {endpoint['status']}: enable it first")


async def guard(box: Box, url: str) -> None:
    try:
        await pin(url, box.settings.allow_hosts)
    except UrlRefused as refused:
        raise HTTPException(422, detail=[{"loc": ["body", "url"], "msg": f"URL refused: {refused}",
                                          "type": "url_refused"}]) from refused


@router.post("/v1/webhooks", status_code=201, response_model=WebhookCreated, tags=["webhooks"],
             responses={422: {"description": "The URL fails the SSRF guard (the message says why)"}})
async def register_webhook(body: WebhookCreate, box: Box, caller: CurrentCaller) -> WebhookCreated:
    await guard(box, body.url)
    doc = await box.endpoints.register(caller.org_id, body.url, body.event_types, body.description)
    return WebhookCreated(**public(doc).model_dump(), secret=doc["secret"])


@router.get("/v1/webhooks", response_model=list[WebhookPublic], tags=["webhooks"])
async def list_webhooks(box: Box, caller: CurrentCaller) -> list[WebhookPublic]:
    return [public(d) for d in await box.endpoints.of_org(caller.org_id)]


@router.get("/v1/webhooks/{endpoint_id}", response_model=WebhookDetail, tags=["webhooks"],
            summary="One endpoint: what the list shows, and the messages waiting for it (retrying, dead-lettered)",
            responses=NOT_OWN)
async def get_webhook(box: Box, endpoint: OwnEndpoint) -> WebhookDetail:
    retrying, dead_letters = await box.records.waiting_for(endpoint)
    return WebhookDetail(**public(endpoint).model_dump(), retrying=retrying, dead_letters=dead_letters)


@router.patch("/v1/webhooks/{endpoint_id}", response_model=WebhookPublic, tags=["webhooks"],
              summary="Change an endpoint's URL or event types (retries still pending go to the new URL)",
              responses={**NOT_OWN, 422: {"description": "The URL fails the SSRF guard (the message says why)"}})
async def update_webhook(body: WebhookUpdate, box: Box, endpoint: OwnEndpoint) -> WebhookPublic:
    changes = body.model_dump(exclude_none=True)
    if "url" in changes:
        await guard(box, changes["url"])
    return public(await box.endpoints.update(endpoint, changes))


@router.delete("/v1/webhooks/{endpoint_id}", status_code=204, tags=["webhooks"],
               summary="Delete an endpoint: nothing more is sent to it, its pending retries are cancelled",
               responses=NOT_OWN)
async def delete_webhook(box: Box, endpoint: OwnEndpoint) -> Response:
    await box.endpoints.remove(endpoint)
    return Response(status_code=204)


class WebhookTestSent(BaseModel):
    notification_id: str = Field(description="Its delivery records: GET /v1/deliveries?notification_id=…")


@router.post("/v1/webhooks/{endpoint_id}/test", status_code=202, response_model=WebhookTestSent, tags=["webhooks"],
             summary="Send a signed `webhook.test` message to this endpoint alone (retried like any other)",
             responses={**NOT_OWN, **NOT_ACTIVE})
async def test_webhook(box: Box, endpoint: OwnEndpoint) -> WebhookTestSent:
    active(endpoint)
    notification = await box.notifier.test_webhook(endpoint)
    return WebhookTestSent(notification_id=notification["_id"])


@router.post("/v1/webhooks/{endpoint_id}/rotate", response_model=WebhookCreated, tags=["webhooks"],
             summary="Rotate the signing secret; both secrets sign during the overlap", responses=NOT_OWN)
async def rotate_secret(box: Box, endpoint: OwnEndpoint, body: WebhookRotate | None = None) -> WebhookCreated:
    overlap = box.settings.rotation_overlap_seconds
    if body and body.overlap_seconds is not None:
        overlap = body.overlap_seconds
    doc = await box.endpoints.rotate(endpoint, overlap)
    return WebhookCreated(**public(doc).model_dump(), secret=doc["secret"])


@router.post("/v1/webhooks/{endpoint_id}/enable", response_model=WebhookPublic, tags=["webhooks"],
             summary="Enable an endpoint again, after a pause (what waited goes now) or a 410 Gone that disabled it",
             responses=NOT_OWN)
async def enable_webhook(box: Box, endpoint: OwnEndpoint) -> WebhookPublic:
    await guard(box, endpoint["url"])
    enabled = await box.endpoints.enable(endpoint)
    await box.dispatcher.resume(endpoint["_id"])
    return public(enabled)


class WebhookPause(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "系统升级，暂停接收"}]})
    reason: str = Field(default="paused by its owner", min_length=1, max_length=200,
                        description="Shown as the endpoint's `disabled_reason` while it is paused")


@router.post("/v1/webhooks/{endpoint_id}/pause", response_model=WebhookPublic, tags=["webhooks"],
             summary="Pause an endpoint (a receiver's maintenance): nothing is sent to it; its messages, new ones and "
                     "retries alike, wait and go once it is enabled again", responses=NOT_OWN)
async def pause_webhook(box: Box, endpoint: OwnEndpoint, body: WebhookPause | None = None) -> WebhookPublic:
    return public(await box.endpoints.pause(endpoint, (body or WebhookPause()).reason))


class WebhookRecover(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"since": "2026-12-01T08:00:00+08:00"}]})
    since: Annotated[AwareDatetime, AfterValidator(storable)] = Field(
        description="Messages dead-lettered at or after this time (with its UTC offset)")


class WebhookRecovering(BaseModel):
    redelivering: int = Field(description="Dead-lettered messages sent once more (their dead letters say so)")
    more: bool = Field(description="More are left: recover again to send them too")


@router.post("/v1/webhooks/{endpoint_id}/recover", status_code=202, response_model=WebhookRecovering,
             tags=["webhooks"], summary="Send once more every message dead-lettered for this endpoint since a time "
                                        "(after the receiver's outage), same webhook-id each, oldest first",
             responses={**NOT_OWN, **NOT_ACTIVE})
async def recover_webhook(body: WebhookRecover, box: Box, endpoint: OwnEndpoint) -> WebhookRecovering:
    active(endpoint)
    redelivering, more = await box.redeliveries.recover(endpoint, body.since)
    return WebhookRecovering(redelivering=redelivering, more=more)


@router.get("/v1/stream", tags=["stream"], response_class=StreamingResponse,
            summary="Server-sent events: the organisation's notifications, live",
            description="Each event's `data` is `{id, type, data, created_at, cursor}`, `cursor` being the event's "
                        "`id`. Reconnect with the `Last-Event-ID` header (browsers do it themselves) to get everything "
                        "sent meanwhile; a few messages may come again after a reconnection, never none: tell them "
                        "apart by `data.id`. A `: heartbeat` comment comes when nothing else has for a while. A "
                        "browser's EventSource, which cannot send the API key, gives a `ticket` instead "
                        "(POST /v1/stream/tickets).")
async def stream(box: Box, caller: StreamCaller,
                 last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
                 authorization: Annotated[str | None, Header()] = None) -> StreamingResponse:
    last = resume_point(last_event_id)
    opened_with_key = caller.role != "stream"  # a ticket's stream stays open until it is closed (tickets.py)
    events = sse(box.db, box.pulse, caller.org_id, last, box.settings.sse_heartbeat_seconds,
                 settle=box.settings.sse_settle_seconds,
                 allowed=(lambda: box.keys.still_valid(authorization)) if opened_with_key else None)
    return StreamingResponse(events,
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


class StreamTicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"lifetime_seconds": 3600}]})
    lifetime_seconds: float | None = Field(default=None, gt=0, le=7 * 86400,
                                           description="How long it opens the stream (default 12 h)")


class StreamTicket(BaseModel):
    ticket: str = Field(description="Give it as `?ticket=` to GET /v1/stream")
    expires_at: datetime
    stream_url: str = Field(description="The stream's path with the ticket, for `new EventSource(...)`")


@router.post("/v1/stream/tickets", status_code=201, response_model=StreamTicket, tags=["stream"],
             summary="A ticket that opens the organisation's stream without the API key (for a browser's EventSource)")
async def issue_stream_ticket(box: Box, caller: CurrentCaller,
                              body: StreamTicketCreate | None = None) -> StreamTicket:
    seconds = body.lifetime_seconds if body and body.lifetime_seconds else box.settings.stream_ticket_seconds
    ticket, expires_at = await box.tickets.issue(caller.org_id, timedelta(seconds=seconds))
    return StreamTicket(ticket=ticket, expires_at=expires_at, stream_url=f"/v1/stream?ticket={ticket}")


@router.delete("/v1/stream/tickets", status_code=204, tags=["stream"],
               summary="Revoke every stream ticket of the organisation (streams open with one stay open)")
async def revoke_stream_tickets(box: Box, caller: CurrentCaller) -> Response:
    await box.tickets.revoke_all(caller.org_id)
    return Response(status_code=204)


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    next_after: int = Field(description="The `after` of the next poll")


@router.get("/v1/notifications", response_model=NotificationPage, tags=["stream"],
            summary="The stream's notifications, polled: those after a cursor, oldest first",
            description="For clients that cannot hold the stream open. Start with `after=0` and keep the page's "
                        "`next_after`: like a resumed stream, a poll may repeat a notification (tell repeats apart "
                        "by `id`), never skip one.")
async def list_notifications(box: Box, caller: CurrentCaller, after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
                             limit: Annotated[int, Query(ge=1, le=500)] = 100) -> NotificationPage:
    pairs = await Cursor(box.db, caller.org_id, after, box.settings.sse_settle_seconds).step(limit)
    items = [NotificationPublic.at(doc, cursor) for doc, cursor in pairs]
    return NotificationPage(items=items, next_after=items[-1].cursor if items else after)


@router.get("/v1/notifications/{notification_id}", response_model=NotificationBody, tags=["stream"],
            summary="One notification, as sent: what a delivery record's message said",
            responses={404: {"description": "No such notification of the caller's"}})
async def get_notification(notification_id: str, box: Box, caller: CurrentCaller) -> NotificationBody:
    doc = await box.records.notification(caller.org_id, notification_id)
    if doc is None:
        raise HTTPException(404, f"no notification {notification_id}")
    return NotificationBody.of(doc)


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
