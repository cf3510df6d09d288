"""Delivery records (one per attempt) and dead letters, as their organisation reads them: newest first, in pages;
and the notification a record names.

A page's `next_cursor` is its last item's time and id, so a page that ends among items of the same time is
continued with the rest of them, none skipped, none repeated.
"""

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from services.notify.db import Database


class DeliveryPublic(BaseModel):
    id: str
    dispatch_id: str = Field(description="The message on one channel to one target: its attempts share it")
    notification_id: str = Field(description="A webhook's `webhook-id`")
    channel: str = Field(description="webhook, email, wecom or dingtalk")
    target_id: str = Field(description="The webhook endpoint's id, or the channel's name for the others")
    event_type: str
    attempt: int = Field(description="1 for the first attempt")
    status: str = Field(description="succeeded or failed")
    response_code: int | None = Field(default=None, description="The receiver's HTTP status, if it answered")
    response_body: str | None = Field(default=None, description="The start of the receiver's answer")
    error: str | None = Field(default=None, description="Why the attempt failed, when it did")
    latency_ms: float
    at: datetime


class DeadLetterPublic(BaseModel):
    id: str = Field(description="The message's dispatch id: redeliver it through any of its delivery records")
    notification_id: str
    channel: str
    target_id: str
    event_type: str
    attempts: int
    last_response_code: int | None = None
    last_error: str | None = None
    status: str = Field(description="dead; redelivering once sent again by hand; redelivered once that succeeded")
    at: datetime
    redelivered_at: datetime | None = None


class Page[T](BaseModel):
    items: list[T]
    next_cursor: str | None = Field(description="Pass it as `cursor` for the next page; null on the last")


class DeliveryPage(Page[DeliveryPublic]):
    pass


class DeadLetterPage(Page[DeadLetterPublic]):
    pass


def cursor_of(doc: dict) -> str:
    return f"{round(doc['at'].timestamp() * 1000)}_{doc['_id']}"


CURSOR_PATTERN = r"^[0-9]{1,13}_\S+$"  # milliseconds up to the year 2286 (ASCII digits: `\d` takes any script's)


def cursor_point(cursor: str) -> tuple[datetime, str]:
    """The time and id a page cursor names; ValueError for what no page gave."""
    millis, _, last_id = cursor.partition("_")
    if not (millis.isascii() and millis.isdigit() and len(millis) <= 13 and last_id):
        raise ValueError(f"not a page's next_cursor: {cursor!r}")
    return datetime.fromtimestamp(int(millis) / 1000, UTC), last_id


def page_cursor(cursor: str | None) -> str | None:
    """A `cursor` query parameter, refused (422) unless it is one a page gave."""
    if cursor is not None:
        cursor_point(cursor)
    return cursor


def older_than(cursor: str) -> dict:
    """The query for items after `cursor` (a page's `next_cursor`) in newest-first order."""
    at, last_id = cursor_point(cursor)
    return {"$or": [{"at": {"$lt": at}}, {"at": at, "_id": {"$lt": last_id}}]}


class Records:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def deliveries(self, org_id: str, filters: dict[str, str], limit: int,
                         cursor: str | None) -> DeliveryPage:
        docs, next_cursor = await self._page("deliveries", {"org_id": org_id, **filters}, limit, cursor)
        return DeliveryPage(items=[DeliveryPublic(id=d["_id"], **d) for d in docs], next_cursor=next_cursor)

    async def dead_letters(self, org_id: str, filters: dict[str, str], limit: int,
                           cursor: str | None) -> DeadLetterPage:
        docs, next_cursor = await self._page("dead_letters", {"org_id": org_id, **filters}, limit, cursor)
        return DeadLetterPage(items=[DeadLetterPublic(id=d["_id"], **d) for d in docs], next_cursor=next_cursor)

    async def waiting_for(self, endpoint: dict) -> tuple[int, int]:
        """What is waiting for a webhook endpoint: messages on their retry schedule (pending, or being sent), and
        messages dead-lettered for it and not sent again since."""
        target = {"channel": "webhook", "target_id": endpoint["_id"]}
        retrying = await self.db["dispatches"].count_documents({"status": {"$in": ["pending", "sending"]}, **target})
        dead = await self.db["dead_letters"].count_documents({"org_id": endpoint["org_id"], "status": "dead",
                                                              **target})
        return retrying, dead

    async def notification(self, org_id: str, notification_id: str) -> dict | None:
        """A notification a delivery record names: the organisation's own copy."""
        return await self.db["notifications"].find_one({"_id": notification_id, "org_id": org_id})

    async def _page(self, collection: str, query: dict, limit: int,
                    cursor: str | None) -> tuple[list[dict], str | None]:
        if cursor:
            query = {**query, **older_than(cursor)}
        docs = await self.db[collection].find(query).sort([("at", -1), ("_id", -1)]).limit(limit + 1).to_list()
        return docs[:limit], cursor_of(docs[limit - 1]) if len(docs) > limit else None
