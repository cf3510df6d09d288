"""Notify's HTTP API, part two: delivery records, redelivery by hand, dead letters, preferences."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import AfterValidator, BaseModel, Field

from services.notify.deps import Box, CurrentCaller
from services.notify.endpoints import guard
from services.notify.event_types import known, unknown
from services.notify.messages import title
from services.notify.preferences import Preferences, Unreadable
from services.notify.records import CURSOR_PATTERN, DeadLetterPage, DeliveryPage, page_cursor
from services.notify.redeliveries import NoTarget, NotNow

router = APIRouter()


PageCursor = Annotated[str | None, Query(max_length=200, pattern=CURSOR_PATTERN,
                                        description="`next_cursor` of the page before"), AfterValidator(page_cursor)]


def chosen(filters: dict[str, str | None]) -> dict[str, str]:
    return {field: value for field, value in filters.items() if value}


class Redelivery(BaseModel):
    dispatch_id: str
    status: str
    attempts: int


@router.get("/v1/deliveries", response_model=DeliveryPage, tags=["deliveries"],
            summary="Delivery records, one per attempt, newest first, in pages")
async def list_deliveries(box: Box, caller: CurrentCaller, status: str | None = None, channel: str | None = None,
                          event_type: str | None = None, endpoint_id: str | None = None,
                          notification_id: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                          cursor: PageCursor = None) -> DeliveryPage:
    filters = {"status": status, "channel": channel, "event_type": event_type, "target_id": endpoint_id,
               "notification_id": notification_id}
    return await box.records.deliveries(caller.org_id, chosen(filters), limit, cursor)


@router.post("/v1/deliveries/{delivery_id}/retry", status_code=202, response_model=Redelivery, tags=["deliveries"],
             summary="Redeliver a delivery's message once more, now (same webhook-id)",
             responses={404: {"description": "No such delivery, or its webhook endpoint was deleted"},
                        409: {"description": "Being sent right now, or its endpoint is disabled or its channel off"}})
async def retry_delivery(delivery_id: str, box: Box, caller: CurrentCaller) -> Redelivery:
    try:
        dispatch = await box.redeliveries.again(caller.org_id, delivery_id)
    except NotNow as busy:
        raise HTTPException(busy.status_code, "that message is being sent right now; try again in a moment") from busy
    except NoTarget as nowhere:
        raise HTTPException(nowhere.status_code, str(nowhere)) from nowhere
    if dispatch is None:
        raise HTTPException(404, f"no delivery {delivery_id}")
    return Redelivery(dispatch_id=dispatch["_id"], status=dispatch["status"], attempts=dispatch["attempts"])


@router.get("/v1/dead-letters", response_model=DeadLetterPage, tags=["deliveries"],
            summary="Messages whose every attempt failed, newest first, in pages "
                    "(redeliver one with POST /v1/deliveries/{id}/retry)")
async def list_dead_letters(box: Box, caller: CurrentCaller, status: str | None = None, channel: str | None = None,
                            limit: Annotated[int, Query(ge=1, le=500)] = 100,
                            cursor: PageCursor = None) -> DeadLetterPage:
    return await box.records.dead_letters(caller.org_id, chosen({"status": status, "channel": channel}), limit, cursor)


class EventTypePublic(BaseModel):
    type: str
    title: str = Field(description="What a person reads about it (e-mail subject, robot message)")


@router.get("/v1/event-types", response_model=list[EventTypePublic], tags=["preferences"],
            summary="The event types notify tells of: what `event_types` of webhooks and preferences may name")
async def list_event_types(locale: Annotated[str, Query(pattern="^(zh-CN|en)$")] = "zh-CN") -> list[EventTypePublic]:
    return [EventTypePublic(type=t, title=title({"type": t}, locale)) for t in known()]


@router.get("/v1/preferences", response_model=Preferences, tags=["preferences"],
            responses={409: {"description": "The stored preferences are invalid (an older version took them): PUT "
                                            "new ones"}})
async def get_preferences(box: Box, caller: CurrentCaller) -> Preferences:
    try:
        return await box.preferences.of(caller.org_id)
    except Unreadable as unreadable:
        raise HTTPException(unreadable.status_code, str(unreadable)) from unreadable


@router.put("/v1/preferences", response_model=Preferences, tags=["preferences"],
            summary="Channels on or off with their targets, event types, quiet hours, daily digest")
async def put_preferences(body: Preferences, box: Box, caller: CurrentCaller) -> Preferences:
    if why := unknown(body.event_types):
        raise HTTPException(422, detail=[{"loc": ["body", "event_types"], "msg": why, "type": "unknown_event_type"}])
    for name in ("wecom", "dingtalk"):
        robot = getattr(body.channels, name)
        if robot.url:
            await guard(box, robot.url)
    now = datetime.now(UTC)  # messages held by the old quiet hours follow the new ones (worked out before storing)
    release = body.release_at(now) or now
    saved = await box.preferences.put(caller.org_id, body)
    await box.dispatcher.reschedule_held(caller.org_id, release)
    return saved
