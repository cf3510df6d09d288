"""The daily digest: at the chosen local time, one e-mail summing up the organisation's last day.

Sent through the notifier as a `digest.daily` notification whose id is derived from the organisation and the
local date, so several replicas (each running this loop) still send one digest a day.
"""

import asyncio
import logging
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.notify.background import Background
from services.notify.db import Database
from services.notify.event_types import DIGEST_TYPE, TEST_TYPE
from services.notify.fanout import Notifier
from services.notify.notifications import notification_id
from services.notify.preferences import Preferences, PreferenceStore

log = logging.getLogger("duijie.notify.digest")


def due_date(prefs: Preferences, now: datetime) -> str | None:
    """The local date whose digest is due at `now` (its time has passed today), else None."""
    local = now.astimezone(ZoneInfo(prefs.time_zone))
    hours, minutes = (int(x) for x in prefs.digest.at.split(":"))
    return local.date().isoformat() if (local.hour, local.minute) >= (hours, minutes) else None


def window(prefs: Preferences, day: str) -> tuple[datetime, datetime]:
    """What the digest of local date `day` sums up (as UTC): from its time the day before to its time that day, so
    each notification is in one digest however late one is sent (and a local day is 23 or 25 hours across DST)."""
    zone, at, end = ZoneInfo(prefs.time_zone), time.fromisoformat(prefs.digest.at), date.fromisoformat(day)
    since = datetime.combine(end - timedelta(days=1), at, tzinfo=zone)
    return since.astimezone(UTC), datetime.combine(end, at, tzinfo=zone).astimezone(UTC)


class DigestSender(Background):
    TASK = "digest"

    def __init__(self, db: Database, preferences: PreferenceStore, notifier: Notifier, every: float = 60.0) -> None:
        self.db, self.preferences, self.notifier, self.every = db, preferences, notifier, every

    async def send_due(self, now: datetime | None = None) -> int:
        now = now or datetime.now(UTC)
        sent = 0
        for org_id, prefs in await self.preferences.digest_orgs():
            day = due_date(prefs, now)
            if day is None or "email" not in prefs.targets():
                continue
            key = f"digest:{org_id}:{day}"
            if await self.db["notifications"].find_one({"_id": notification_id(key, org_id)}, {"_id": 1}):
                continue
            since, until = window(prefs, day)
            docs = await self.db["notifications"].find(
                {"org_id": org_id, "created_at": {"$gte": since, "$lt": until},
                 "type": {"$nin": [DIGEST_TYPE, TEST_TYPE]}},
                {"type": 1}).to_list()
            by_type = Counter(d["type"] for d in docs if prefs.wants(d["type"]))  # not the types it filtered out
            summary = ", ".join(f"{t} × {n}" for t, n in sorted(by_type.items())) or "—"
            await self.notifier.notify(org_id, DIGEST_TYPE, org_id, {
                "org_id": org_id, "date": day, "count": by_type.total(), "summary": summary},
                key=key, event_id=key, exclude=("webhook", "wecom", "dingtalk"), digestible=False)
            sent += 1
        return sent

    async def run(self) -> None:
        while True:
            try:
                await self.send_due()
            except Exception as error:  # noqa: BLE001 - the loop must survive a database blip
                log.warning("digest loop: %s", error)
            await asyncio.sleep(self.every)
