"""From an event to messages: record one notification per recipient, then start one dispatch per channel target
the organisation's preferences and webhook endpoints ask for. Also tells an owner when its messages die."""

import asyncio
from datetime import UTC, datetime

from prometheus_client import Counter

from services.contracts.envelope import Envelope
from services.notify import notifications
from services.notify.db import Database
from services.notify.deliveries import Dispatcher
from services.notify.preferences import PreferenceStore
from services.notify.stream import Pulse
from services.notify.webhooks import Endpoints

NOTIFIED = Counter("notify_notifications_total", "Notifications stored", ["type"])


class Notifier:
    def __init__(self, db: Database, endpoints: Endpoints, preferences: PreferenceStore, pulse: Pulse) -> None:
        self.db, self.endpoints, self.preferences, self.pulse = db, endpoints, preferences, pulse
        self.dispatcher: Dispatcher | None = None  # set by the composition root (the dispatcher calls us back)

    async def on_event(self, event: Envelope) -> None:
        orgs = notifications.recipients(event)
        if event.type in notifications.FEEDBACK_TYPES:  # tell the other party what this one answered
            orgs = [o for o in await notifications.match_parties(self.db, event.data["match_id"])
                    if o != event.data.get("org_id")]
        await asyncio.gather(*(self.notify(org_id, event.type, event.subject, event.data, key=event.id,
                                           event_id=event.id) for org_id in orgs))

    async def notify(self, org_id: str, type_: str, subject: str, data: dict, key: str,
                     event_id: str | None = None, exclude: tuple[str, ...] = (), digestible: bool = True) -> dict:
        """Records the notification and starts its dispatches. With a daily digest on, e-mail waits for the digest
        (warnings about dead letters excepted)."""
        notification, new = await notifications.record(self.db, org_id, type_, subject, data, key, event_id)
        if new:
            NOTIFIED.labels(type_).inc()
            self.pulse.fire()
        prefs = await self.preferences.of(org_id)
        if not prefs.wants(type_):
            return notification
        assert self.dispatcher is not None
        not_before = prefs.release_at(datetime.now(UTC))
        if prefs.channels.webhook and "webhook" not in exclude:
            for endpoint in await self.endpoints.active_for(org_id, type_):
                if endpoint["created_at"] <= notification["created_at"]:
                    await self.dispatcher.begin(notification, "webhook", endpoint["_id"], endpoint, not_before)
        if digestible and prefs.digest.enabled and not type_.endswith((".dead_lettered", ".disabled")):
            exclude = (*exclude, "email")
        for channel, target in prefs.targets().items():
            if channel not in exclude:
                await self.dispatcher.begin(notification, channel, target["_id"], target, not_before)
        return notification

    async def load_target(self, dispatch: dict) -> dict | None:
        """The current target of a dispatch (for retries): None when it was removed or disabled meanwhile."""
        if dispatch["channel"] == "webhook":
            endpoint = await self.endpoints.get(dispatch["target_id"])
            return endpoint if endpoint and endpoint["status"] == "active" else None
        return (await self.preferences.of(dispatch["org_id"])).targets().get(dispatch["channel"])

    async def dead_lettered(self, dispatch: dict, notification: dict) -> None:
        """Tells the owner on its other channels (and the live stream) that a message went to the dead letters."""
        if notification["type"].endswith(".dead_lettered"):
            return  # never a chain of warnings about warnings
        channel = dispatch["channel"]
        await self.notify(notification["org_id"], f"{channel}.dead_lettered", dispatch["_id"], {
            "org_id": notification["org_id"], "dead_letter_id": dispatch["_id"], "channel": channel,
            "target_id": dispatch["target_id"], "notification_id": notification["_id"],
            "event_type": notification["type"], "attempts": dispatch["attempts"]},
            key=f"{dispatch['_id']}:dead:{dispatch['attempts']}", exclude=(channel,))

    async def gone(self, dispatch: dict, endpoint: dict) -> None:
        """A receiver answered 410 Gone: its endpoint is disabled, and the owner is told elsewhere."""
        if dispatch["channel"] != "webhook":
            return
        await self.endpoints.disable(endpoint, "the receiver answered 410 Gone")
        await self.notify(endpoint["org_id"], "webhook.disabled", endpoint["_id"], {
            "org_id": endpoint["org_id"], "endpoint_id": endpoint["_id"], "url": endpoint["url"],
            "reason": "the receiver answered 410 Gone"}, key=f"{endpoint['_id']}:gone:{dispatch['_id']}",
            exclude=("webhook",))
