"""Each organisation's preferences: channels on or off with their targets, event types, quiet hours, digest.

Quiet hours hold the messages meant for people (e-mail, WeCom and DingTalk robots) until they end, in the
organisation's time zone (default Asia/Shanghai); held messages are sent then, none is dropped, and changing the
quiet hours reschedules them. Urgent messages (a webhook dead-lettered or disabled) are never held. Webhooks go to
machines and the SSE stream is the organisation's inbox: neither is held. The `sse` switch keeps notifications
off the stream. A daily digest, when on, e-mails one summary of the day's notifications at the given time (and
e-mail then carries only the digest and urgent messages).

Preferences stored by an older version that no longer pass validation are logged; an invalid quiet hours, digest,
event types or time zone is read as its default, and only invalid channels make the organisation unreadable: it
alone then gets nothing on its channels and no digest until it puts new ones.
"""

import logging
import re
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from services.notify.changes import Changes
from services.notify.db import Database
from services.notify.event_types import DIGEST_TYPE, EventTypeList, once_each
from services.notify.single_flight import SingleFlight

log = logging.getLogger("duijie.notify.preferences")

# ASCII digits: `\d` takes any script's ("٩", "𐵀"), which `int()` and `time.fromisoformat` then refuse.
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def clock_of(hhmm: str) -> clock:
    """The time of day an HH:MM names."""
    hours, minutes = hhmm.split(":")
    return clock(int(hours), int(minutes))


def time_of_day(value: str) -> str:
    """An HH:MM from 00:00 to 23:59 in ASCII digits, checked by reading it as quiet hours and the digest will."""
    if not re.fullmatch(HHMM, value):
        raise ValueError(f"not a time of day from 00:00 to 23:59: {value!r}")
    clock_of(value)
    return value


TimeOfDay = Annotated[str, Field(pattern=HHMM), AfterValidator(time_of_day)]


class EmailChannel(BaseModel):
    enabled: bool = False
    address: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    locale: str = Field(default="zh-CN", pattern=r"^(zh-CN|en)$")

    @model_validator(mode="after")
    def address_when_enabled(self) -> "EmailChannel":
        if self.enabled and not self.address:
            raise ValueError("e-mail is enabled but has no address")
        return self


class RobotChannel(BaseModel):
    enabled: bool = False
    url: str | None = Field(default=None, max_length=2000)
    secret: str | None = Field(default=None, max_length=200, description="DingTalk's signing secret (SEC...)")

    @model_validator(mode="after")
    def url_when_enabled(self) -> "RobotChannel":
        if self.enabled and not self.url:
            raise ValueError("the robot is enabled but has no url")
        return self


URGENT_SUFFIXES = (".dead_lettered", ".disabled")  # the owner must hear of these whatever its filters and hours
HELD_CHANNELS = ("email", "wecom", "dingtalk")  # the channels people read: quiet hours hold these


def urgent(event_type: str) -> bool:
    return event_type.endswith(URGENT_SUFFIXES)


class Channels(BaseModel):
    webhook: bool = Field(default=True, description="Send to the organisation's webhook endpoints")
    sse: bool = Field(default=True, description="Show notifications on the live stream GET /v1/stream")
    email: EmailChannel = EmailChannel()
    wecom: RobotChannel = RobotChannel()
    dingtalk: RobotChannel = RobotChannel()


class QuietHours(BaseModel):
    start: TimeOfDay = Field(examples=["22:00"])
    end: TimeOfDay = Field(examples=["08:00"])


class Digest(BaseModel):
    enabled: bool = False
    at: TimeOfDay = "09:00"


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "channels": {"webhook": True, "sse": True,
                     "email": {"enabled": True, "address": "tto@example.edu.cn", "locale": "zh-CN"},
                     "wecom": {"enabled": False}, "dingtalk": {"enabled": False}},
        "event_types": ["match.proposed", "meeting.requested"],
        "quiet_hours": {"start": "22:00", "end": "08:00"}, "time_zone": "Asia/Shanghai",
        "digest": {"enabled": True, "at": "09:00"}}]})

    channels: Channels = Channels()
    event_types: EventTypeList = Field(default=[], description="Empty: every event type")
    quiet_hours: QuietHours | None = None
    time_zone: str = Field(default="Asia/Shanghai", max_length=100)
    digest: Digest = Digest()

    @field_validator("time_zone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as error:  # OSError: "Asia" is a folder, or too long
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    def wants(self, event_type: str) -> bool:
        """Whether messages of `event_type` go out at all: the chosen types (all when none are chosen), warnings
        about the organisation's own channels, and the daily digest it switched on (its e-mail waits for it)."""
        return (not self.event_types or event_type in self.event_types or urgent(event_type)
                or (event_type == DIGEST_TYPE and self.digest.enabled))

    def targets(self) -> dict[str, dict]:
        """The enabled non-webhook channels and their targets (a channel without its address is off)."""
        out: dict[str, dict] = {}
        email = self.channels.email
        if email.enabled and email.address:
            out["email"] = {"_id": email.address, "address": email.address, "locale": email.locale}
        for name in ("wecom", "dingtalk"):
            robot: RobotChannel = getattr(self.channels, name)
            if robot.enabled and robot.url:
                out[name] = {"_id": name, "url": robot.url, "secret": robot.secret}
        return out

    def release_at(self, now: datetime, event_type: str = "") -> datetime | None:
        """When a message for people created `now` may go: None at once, else the end of the quiet hours (UTC)."""
        if self.quiet_hours is None or urgent(event_type):
            return None
        return quiet_until(now, self.quiet_hours.start, self.quiet_hours.end, ZoneInfo(self.time_zone))


def quiet_until(now: datetime, start: str, end: str, zone: ZoneInfo) -> datetime | None:
    """The end of the quiet period `now` falls in (as UTC), or None outside it; handles periods over midnight.

    The period is a daily wall-clock window: it ends at the first instant, not before `now`, at which the clock
    reads `end` or later (see `_when_clock_reaches` for days the clocks change)."""
    local = now.astimezone(zone)
    begin, finish = clock_of(start), clock_of(end)
    t = local.time().replace(second=0, microsecond=0)
    if begin == finish:
        return None
    inside = begin <= t < finish if begin < finish else (t >= begin or t < finish)
    if not inside:
        return None
    day = local.date() if t < finish else local.date() + timedelta(days=1)
    return _when_clock_reaches(datetime.combine(day, finish), zone, now)


def _when_clock_reaches(wall: datetime, zone: ZoneInfo, now: datetime) -> datetime:
    """The first instant (UTC), not before `now`, at which the clock in `zone` reads `wall` or later: when `wall` is
    repeated (clocks go back) the first reading not in the past; when it is skipped (clocks go forward) the jump."""
    first, second = (wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    if second < first:  # skipped: fold=1 reads it with the later offset (before the jump), fold=0 after the jump
        return _jump(second, first, zone)
    return first if first >= now else second


def _jump(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The instant between `before` and `after` (UTC) at which the offset of `zone` changes, to the second."""
    offset_after = after.astimezone(zone).utcoffset()
    low, high = int(before.timestamp()), int(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


class Unreadable(Exception):
    """An organisation's stored preferences fail validation (an older version let them through)."""
    status_code = 409

    def __init__(self, org_id: str, why: str) -> None:
        super().__init__(f"the stored preferences are invalid ({why}): PUT /v1/preferences to replace them")
        self.org_id, self.why = org_id, why


DROPPABLE = ("quiet_hours", "digest", "event_types", "time_zone")  # an invalid one is read as its default


def _stored(doc: dict) -> Preferences | Unreadable:
    """A stored document's preferences. Settings an older version let through and that no longer pass validation
    are read as their defaults (logged): invalid quiet hours or digest time do not silence the organisation's
    channels. Only invalid channels make it Unreadable. Repeated event types are read once each."""
    fields = {k: v for k, v in doc.items() if k not in ("_id", "updated_at")}
    if isinstance(fields.get("event_types"), list):
        fields["event_types"] = once_each(fields["event_types"])
    try:
        return Preferences.model_validate(fields)
    except ValidationError as error:
        why = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        failed = {e["loc"][0] for e in error.errors() if e["loc"]}
    if failed <= set(DROPPABLE):
        try:
            prefs = Preferences.model_validate({k: v for k, v in fields.items() if k not in failed})
        except ValidationError:
            pass
        else:
            log.error("the stored preferences of %s are invalid, read with the defaults of %s: %s",
                      doc["_id"], ", ".join(sorted(failed)), why)
            return prefs
    log.error("the stored preferences of %s are invalid, nothing is sent on its channels: %s", doc["_id"], why)
    return Unreadable(doc["_id"], why)


class PreferenceStore:
    def __init__(self, db: Database, cache_seconds: float, changes: Changes) -> None:
        self.db, self.changes = db, changes
        self._loads: SingleFlight[Preferences | Unreadable] = SingleFlight(self._load, keep_seconds=cache_seconds)
        changes.watch(self._loads)

    async def of(self, org_id: str) -> Preferences:
        """The organisation's preferences (the defaults if it stored none); Unreadable if its stored ones are invalid:
        that organisation's alone, loaded with others' or not."""
        prefs = await self._loads.load(org_id)
        if isinstance(prefs, Unreadable):
            raise Unreadable(org_id, prefs.why)  # a new one each time: a kept one would gather tracebacks
        return prefs

    async def _load(self, org_ids: list[str]) -> dict[str, Preferences | Unreadable]:
        stored = {d["_id"]: _stored(d) for d in await self.db["preferences"].find({"_id": {"$in": org_ids}}).to_list()}
        return {org_id: stored.get(org_id) or Preferences() for org_id in org_ids}

    async def put(self, org_id: str, prefs: Preferences) -> Preferences:
        await self.db["preferences"].replace_one(
            {"_id": org_id}, {"_id": org_id, **prefs.model_dump(), "updated_at": datetime.now(UTC)}, upsert=True)
        await self.changes.made(self._loads, org_id)
        return prefs

    async def digest_orgs(self) -> list[tuple[str, Preferences]]:
        """The organisations with the digest on, with their preferences; those whose stored ones are invalid are left
        out (logged), as are those whose invalid digest is read as the default (off: their e-mails go at once)."""
        docs = await self.db["preferences"].find({"digest.enabled": True}).to_list()
        read = [(d["_id"], _stored(d)) for d in docs]
        return [(org_id, prefs) for org_id, prefs in read if isinstance(prefs, Preferences) and prefs.digest.enabled]
