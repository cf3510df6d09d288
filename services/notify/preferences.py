"""Each organisation's preferences: channels on or off with their targets, event types, quiet hours, digest.

Quiet hours hold the messages meant for people (e-mail, WeCom and DingTalk robots) until they end, in the
organisation's time zone (default Asia/Shanghai); held messages are sent then, none is dropped, and changing the
quiet hours reschedules them. Urgent messages (a webhook dead-lettered or disabled) are never held. Webhooks go to
machines and the SSE stream is the organisation's inbox: neither is held. The `sse` switch keeps notifications
off the stream. A daily digest, when on, e-mails one summary of the day's notifications at the given time (and
e-mail then carries only the digest and urgent messages).
"""

from datetime import UTC, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.notify.changes import Changes
from services.notify.db import Database
from services.notify.event_types import DIGEST_TYPE
from services.notify.single_flight import SingleFlight

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


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
    start: str = Field(pattern=HHMM, examples=["22:00"])
    end: str = Field(pattern=HHMM, examples=["08:00"])


class Digest(BaseModel):
    enabled: bool = False
    at: str = Field(default="09:00", pattern=HHMM)


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "channels": {"webhook": True, "sse": True,
                     "email": {"enabled": True, "address": "tto@example.edu.cn", "locale": "zh-CN"},
                     "wecom": {"enabled": False}, "dingtalk": {"enabled": False}},
        "event_types": ["match.proposed", "meeting.requested"],
        "quiet_hours": {"start": "22:00", "end": "08:00"}, "time_zone": "Asia/Shanghai",
        "digest": {"enabled": True, "at": "09:00"}}]})

    channels: Channels = Channels()
    event_types: list[str] = Field(default=[], description="Empty: every event type")
    quiet_hours: QuietHours | None = None
    time_zone: str = "Asia/Shanghai"
    digest: Digest = Digest()

    @field_validator("time_zone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
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


def _clock(hhmm: str) -> clock:
    hours, minutes = hhmm.split(":")
    return clock(int(hours), int(minutes))


def quiet_until(now: datetime, start: str, end: str, zone: ZoneInfo) -> datetime | None:
    """The end of the quiet period `now` falls in (as UTC), or None outside it; handles periods over midnight.

    The period is a daily wall-clock window: it ends at the first instant, not before `now`, at which the clock
    reads `end` or later (see `_when_clock_reaches` for days the clocks change)."""
    local = now.astimezone(zone)
    begin, finish = _clock(start), _clock(end)
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


def _stored(doc: dict) -> Preferences:
    return Preferences.model_validate({k: v for k, v in doc.items() if k not in ("_id", "updated_at")})


class PreferenceStore:
    def __init__(self, db: Database, cache_seconds: float, changes: Changes) -> None:
        self.db, self.changes = db, changes
        self._loads: SingleFlight[Preferences] = SingleFlight(self._load, keep_seconds=cache_seconds)
        changes.watch(self._loads)

    async def of(self, org_id: str) -> Preferences:
        return await self._loads.load(org_id)

    async def _load(self, org_ids: list[str]) -> dict[str, Preferences]:
        stored = {d["_id"]: _stored(d) for d in await self.db["preferences"].find({"_id": {"$in": org_ids}}).to_list()}
        return {org_id: stored.get(org_id) or Preferences() for org_id in org_ids}

    async def put(self, org_id: str, prefs: Preferences) -> Preferences:
        await self.db["preferences"].replace_one(
            {"_id": org_id}, {"_id": org_id, **prefs.model_dump(), "updated_at": datetime.now(UTC)}, upsert=True)
        await self.changes.made(self._loads, org_id)
        return prefs

    async def digest_orgs(self) -> list[tuple[str, Preferences]]:
        docs = await self.db["preferences"].find({"digest.enabled": True}).to_list()
        return [(d["_id"], _stored(d)) for d in docs]
