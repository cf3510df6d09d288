"""The daily digest: at the chosen local time, one e-mail summing up what came for the organisation since the last.

Each digest starts where the organisation's last one ended (stored in `digest_ends`) and ends when it is due, so
every notification is in one digest whatever the time or zone is changed to; one missed while notify was down is
sent late, covering everything since. Sent through the notifier as a `digest.daily` notification whose id is
derived from the organisation and the digest's start, so several replicas (each running this loop), or one after a
restart, send it once.
"""

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.notify.background import Background
from services.notify.db import Database
from services.notify.event_types import DIGEST_TYPE, TEST_TYPE
from services.notify.fanout import Notifier
from services.notify.notifications import notification_id
from services.notify.preferences import Preferences, PreferenceStore, clock_of

log = logging.getLogger("duijie.notify.digest")
ENDS = "digest_ends"  # {_id: org_id, until: where its last digest ended (UTC)}


@dataclass(frozen=True)
class Due:
    """A digest due: sent for local date `day`, summing up what came from `since` up to `until` (UTC)."""
    day: date
    since: datetime
    until: datetime


def _instant(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The first instant (UTC) the clocks in `zone` show `wall`, None when they skip it."""
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    return instant if instant.astimezone(zone).replace(tzinfo=None) == wall else None


def due_at(prefs: Preferences, day: date) -> datetime:
    """When the digest of local date `day` is sent (UTC): the first instant the clocks show its time or later, so the
    earlier one when they show it twice, and the end of the jump when they skip it (a DST gap)."""
    zone, wall = ZoneInfo(prefs.time_zone), datetime.combine(day, clock_of(prefs.digest.at))
    while (instant := _instant(wall, zone)) is None:
        wall += timedelta(minutes=1)  # clocks jump at a whole minute
    return instant


def due(prefs: Preferences, last_end: datetime | None, now: datetime) -> Due | None:
    """The digest due at `now`, or None: at most one a local day, for the last day whose time has passed, from where
    the last one ended (one due days ago is sent late, and covers everything since). The first starts at its time
    the day before, as digests did before their ends were stored."""
    zone, today = ZoneInfo(prefs.time_zone), now.astimezone(ZoneInfo(prefs.time_zone)).date()
    since = last_end or due_at(prefs, today - timedelta(days=1))
    day = today if due_at(prefs, today) <= now else today - timedelta(days=1)
    if since.astimezone(zone).date() >= day:
        return None
    return Due(day, since, due_at(prefs, day))


def digest_key(org_id: str, since: datetime) -> str:
    """What a digest's notification id derives from: its start, the same for whoever sends it."""
    return f"digest:{org_id}:{since.isoformat()}"


def ended(stored: dict, digest: Due) -> datetime:
    """Where the digest stored for `digest` ended: as stored (another replica may have sent it, up to another
    time); one sent before ends were stored ended at its day's time."""
    until = stored.get("data", {}).get("until")
    return datetime.fromisoformat(until) if until else digest.until


class DigestSender(Background):
    TASK = "digest"

    def __init__(self, db: Database, preferences: PreferenceStore, notifier: Notifier, every: float = 60.0) -> None:
        self.db, self.preferences, self.notifier, self.every = db, preferences, notifier, every

    async def send_due(self, now: datetime | None = None) -> int:
        """Sends the digests due at `now`; returns how many this call sent. One organisation's that fails is logged
        and tried again on the next call: the others' go all the same."""
        now = now or datetime.now(UTC)
        orgs = [(org_id, prefs) for org_id, prefs in await self.preferences.digest_orgs() if "email" in prefs.targets()]
        ends = await self._ends([org_id for org_id, _ in orgs])
        sent = 0
        for org_id, prefs in orgs:
            try:
                digest = due(prefs, ends.get(org_id), now)
                if digest is not None:
                    sent += await self._send(org_id, prefs, digest, first=org_id not in ends)
            except Exception:  # noqa: BLE001 - one organisation's digest holds up no other's
                log.exception("the digest of %s failed; tried again on the next pass", org_id)
        return sent

    async def _ends(self, org_ids: list[str]) -> dict[str, datetime]:
        """Where each organisation's last digest ended. One that no longer gets digests forgets it: what it was
        e-mailed meanwhile is in no digest once it is switched on again."""
        await self.db[ENDS].delete_many({"_id": {"$nin": org_ids}})
        return {d["_id"]: d["until"] for d in await self.db[ENDS].find({"_id": {"$in": org_ids}}).to_list()}

    async def _send(self, org_id: str, prefs: Preferences, digest: Due, first: bool) -> int:
        """Sends `digest` unless it is stored already, then stores where it ended; returns 1 if this call sent it.
        A first digest is also looked for by its date, the key digests had before their ends were stored."""
        keys = [digest_key(org_id, digest.since), *([f"digest:{org_id}:{digest.day}"] if first else [])]
        ids = [notification_id(key, org_id) for key in keys]
        stored = await self.db["notifications"].find_one({"_id": {"$in": ids}}, {"data": 1})
        sent = stored is None
        if stored is None:
            stored = await self.notifier.notify(org_id, DIGEST_TYPE, org_id, await self._summary(org_id, prefs, digest),
                                                key=keys[0], event_id=keys[0], exclude=("webhook", "wecom", "dingtalk"),
                                                digestible=False)
        await self.db[ENDS].update_one({"_id": org_id}, {"$max": {"until": ended(stored, digest)}}, upsert=True)
        return int(sent)

    async def _summary(self, org_id: str, prefs: Preferences, digest: Due) -> dict:
        """The digest's data: the notifications it sums up, counted by type."""
        docs = await self.db["notifications"].find(
            {"org_id": org_id, "created_at": {"$gte": digest.since, "$lt": digest.until},
             "type": {"$nin": [DIGEST_TYPE, TEST_TYPE]}},
            {"type": 1}).to_list()
        by_type = Counter(d["type"] for d in docs if prefs.wants(d["type"]))  # not the types it filtered out
        summary = ", ".join(f"{t} × {n}" for t, n in sorted(by_type.items())) or "—"
        return {"org_id": org_id, "date": digest.day.isoformat(), "count": by_type.total(), "summary": summary,
                "since": digest.since.isoformat(), "until": digest.until.isoformat()}

    async def run(self) -> None:
        while True:
            try:
                await self.send_due()
            except Exception as error:  # noqa: BLE001 - the loop must survive a database blip
                log.warning("digest loop: %s", error)
            await asyncio.sleep(self.every)
