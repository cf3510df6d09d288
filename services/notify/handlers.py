"""Events in, notifications out: matches, feedback, summit and schedule news, deals (in batches)."""

from faststream.kafka import KafkaBroker
from prometheus_client import Counter

from services.contracts import topics
from services.contracts.consumer import subscribe_batches
from services.notify.container import Container

DEAD_LETTERS = Counter("notify_dead_letters_total", "Records dead-lettered", ["topic"])

NOTIFYING_TOPICS = (topics.MATCHES, topics.FEEDBACK, topics.SCHEDULES, topics.SUMMITS, topics.DEALS)


def register_handlers(broker: KafkaBroker, box: Container) -> None:
    # A batch's handler returns the rest of its notifications still being stored (`tails`): committed once done.
    handlers = {topics.named(t, box.settings.topic_prefix): box.notifier.on_events for t in NOTIFYING_TOPICS}
    # A batch is what arrived since the last fetch: a few events while notify keeps up. When it falls behind, up to
    # 100, recorded in bigger groups (`fanout.groups`), so each event costs fewer round trips and the backlog
    # drains. Capped at 20, a backlog could keep growing: in alternating 60 s runs of the pipeline bench at 50/s on
    # a busy machine, p99 3,861 and 946 ms with the cap at 20 against 227 and 362 ms with 100.
    # Match events, nearly all of notify's input, are fetched on their own with a short wait; the others share a
    # longer one (see `subscribe_batches`).
    quiet = [topics.named(t, box.settings.topic_prefix) for t in NOTIFYING_TOPICS if t != topics.MATCHES]
    subscribe_batches(broker, handlers, box.settings.consumer_group, max_records=100,
                      on_dead_letter=lambda t: DEAD_LETTERS.labels(t).inc(),
                      fetch_max_wait_ms=box.settings.fetch_wait_ms, quiet_topics=quiet,
                      quiet_fetch_max_wait_ms=box.settings.quiet_fetch_wait_ms,
                      busy_fetch_max_wait_ms=box.settings.busy_fetch_wait_ms,
                      commit_every_seconds=box.settings.commit_interval_ms / 1000)
