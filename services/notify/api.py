"""Notify's HTTP API, part two: delivery records, redelivery by hand, dead letters, preferences."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from services.notify.deps import Box, CurrentCaller
from services.notify.endpoints import guard
from services.notify.preferences import Preferences

router = APIRouter()


def public(doc: dict) -> dict:
    return {**{k: v for k, v in doc.items() if k != "_id"}, "id": doc["_id"]}


class Redelivery(BaseModel):
    dispatch_id: str
    status: str
    attempts: int


@router.get("/v1/deliveries", tags=["deliveries"], summary="Delivery records, one per attempt, newest first")
async def list_deliveries(box: Box, caller: CurrentCaller, status: str | None = None, channel: str | None = None,
                          event_type: str | None = None, endpoint_id: str | None = None,
                          notification_id: str | None = None,
                          limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict]:
    query: dict = {"org_id": caller.org_id}
    for field, value in (("status", status), ("channel", channel), ("event_type", event_type),
                         ("target_id", endpoint_id), ("notification_id", notification_id)):
        if value:
            query[field] = value
    docs = await box.db["deliveries"].find(query).sort("at", -1).limit(limit).to_list()
    return [public(d) for d in docs]


@router.post("/v1/deliveries/{delivery_id}/retry", status_code=202, response_model=Redelivery, tags=["deliveries"],
             summary="Redeliver a delivery's message once more, now (same webhook-id)")
async def retry_delivery(delivery_id: str, box: Box, caller: CurrentCaller) -> Redelivery:
    dispatch = await box.dispatcher.retry_by_hand(caller.org_id, delivery_id)
    if dispatch is None:
        known = await box.db["deliveries"].find_one({"_id": delivery_id, "org_id": caller.org_id}, {"_id": 1})
        if known is None:
            raise HTTPException(404, f"no delivery {delivery_id}")
        raise HTTPException(409, "that message is being sent right now; try again in a moment")
    return Redelivery(dispatch_id=dispatch["_id"], status=dispatch["status"], attempts=dispatch["attempts"])


@router.get("/v1/dead-letters", tags=["deliveries"],
            summary="Messages whose every attempt failed (redeliver one with POST /v1/deliveries/{id}/retry)")
async def list_dead_letters(box: Box, caller: CurrentCaller, status: str | None = None,
                            channel: str | None = None,
                            limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict]:
    query: dict = {"org_id": caller.org_id}
    if status:
        query["status"] = status
    if channel:
        query["channel"] = channel
    docs = await box.db["dead_letters"].find(query).sort("at", -1).limit(limit).to_list()
    return [public(d) for d in docs]


@router.get("/v1/preferences", response_model=Preferences, tags=["preferences"])
async def get_preferences(box: Box, caller: CurrentCaller) -> Preferences:
    return await box.preferences.of(caller.org_id)


@router.put("/v1/preferences", response_model=Preferences, tags=["preferences"],
            summary="Channels on or off with their targets, event types, quiet hours, daily digest")
async def put_preferences(body: Preferences, box: Box, caller: CurrentCaller) -> Preferences:
    for name in ("wecom", "dingtalk"):
        robot = getattr(body.channels, name)
        if robot.url:
            await guard(box, robot.url)
    saved = await box.preferences.put(caller.org_id, body)
    now = datetime.now(UTC)  # messages held by the old quiet hours follow the new ones
    await box.dispatcher.reschedule_held(caller.org_id, saved.release_at(now) or now)
    return saved
