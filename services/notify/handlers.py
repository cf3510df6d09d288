"""Events in, notifications out: matches, feedback, summit and schedule news, deals (in batches)."""

from faststream.kafka import KafkaBroker
from prometheus_client import Counter

from services.contracts import topics
from services.contracts.consumer import subscribe_batches
from services.contracts.envelope import Envelope
from services.notify.container import Container

DEAD_LETTERS = Counter("notify_dead_letters_total", "Records dead-lettered", ["topic"])

NOTIFYING_TOPICS = (topics.MATCHES, topics.FEEDBACK, topics.SCHEDULES, topics.SUMMITS, topics.DEALS)


def register_handlers(broker: KafkaBroker, box: Container) -> None:
    async def on_events(events: list[Envelope]) -> None:
        await box.notifier.on_events(events)

    handlers = {topics.named(t, box.settings.topic_prefix): on_events for t in NOTIFYING_TOPICS}
    # Small batches: a notification reaches its first channel after its batch's inserts, so they stay short.
    subscribe_batches(broker, handlers, box.settings.consumer_group, max_records=20,
                      on_dead_letter=lambda t: DEAD_LETTERS.labels(t).inc())
