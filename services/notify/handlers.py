"""Events in, notifications out: store once per recipient, fan out to that organisation's channels."""

from faststream.kafka import KafkaBroker
from prometheus_client import Counter

from services.contracts import topics
from services.contracts.consumer import subscribe_events
from services.contracts.envelope import Envelope
from services.notify import deliveries, notifications, webhooks
from services.notify.container import Container

NOTIFIED = Counter("notify_notifications_total", "Notifications stored", ["type"])
DEAD_LETTERS = Counter("notify_dead_letters_total", "Records dead-lettered", ["topic"])

NOTIFYING_TOPICS = (topics.MATCHES,)


async def on_event(box: Container, event: Envelope) -> None:
    for org_id in notifications.recipients(event):
        notification = await notifications.record(box.db, event, org_id)
        if notification is None:
            notification = await box.db["notifications"].find_one({"_id": notifications.notification_id(event, org_id)})
            if notification is None:
                continue
        else:
            NOTIFIED.labels(event.type).inc()
            box.pulse.fire()
        for endpoint in await webhooks.active_for(box.db, org_id, event.type):
            if endpoint["created_at"] > notification["created_at"]:
                continue
            dispatch_id = await deliveries.enqueue(box.db, notification, endpoint)
            if dispatch_id:
                box.dispatcher.kick(dispatch_id)


def register_handlers(broker: KafkaBroker, box: Container) -> None:
    handlers = {topics.named(t, box.settings.topic_prefix): lambda e: on_event(box, e) for t in NOTIFYING_TOPICS}
    subscribe_events(broker, handlers, box.settings.consumer_group,
                     on_dead_letter=lambda t: DEAD_LETTERS.labels(t).inc())
