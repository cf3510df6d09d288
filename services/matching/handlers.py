"""Thin subscribers: catalogue or feedback events in, the service, match events out."""

import time

from faststream.kafka import KafkaBroker
from prometheus_client import Counter, Histogram

from services.contracts import topics
from services.contracts.consumer import BatchHandler, one_by_one, subscribe_batches
from services.contracts.envelope import Envelope, deterministic_id, new_event
from services.contracts.wire import encode, record_headers
from services.matching.publisher import MatchEventProducer, MatchOutbox, OutgoingRecord
from services.matching.schedule_handler import on_summit_event
from services.matching.service import MatchingService, Outgoing
from services.matching.settings import Settings

EVENTS = Counter("matching_events_total", "Events consumed", ["topic", "type"])
PUBLISHED = Counter("matching_match_events_total", "Match events published", ["type"])
DEAD_LETTERS = Counter("matching_dead_letters_total", "Records dead-lettered", ["topic"])
LATENCY = Histogram("matching_event_seconds", "Time to match one catalogue event",
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0))

CATALOGUE_TOPICS = {topics.NEEDS: "need", topics.RESULTS: "result", topics.PRODUCTS: "product",
                    topics.EXPERTS: "expert"}
QUIET_TOPICS = (topics.ORGS, topics.FEEDBACK, topics.SUMMITS)  # off the path from a posting to its matches


def match_records(settings: Settings, outgoing: list[Outgoing]) -> list[OutgoingRecord]:
    """Each match event as a Kafka record keyed by its match id, with a deterministic event id, on the partition of
    its need: a need's matches go to one partition as one record batch, so a consumer's fetch usually returns one
    posting's events from one partition (the embedded broker's fetch costs more the more batches that partition
    holds, see `deploy.topics`). A match's proposal and its retraction have the same need, so they stay in order."""
    records = []
    for type_, subject, data in outgoing:
        fields = vars(data)
        event = new_event(type_, subject, data, source=settings.service_name,
                          event_id=deterministic_id(type_, subject, fields.get("need_version"),
                                                    fields.get("counterpart_version"), fields.get("reason")))
        headers = tuple((name, value.encode()) for name, value in record_headers(event.type, event.id).items())
        records.append(OutgoingRecord(subject.encode(), encode(event), headers, data.need_id.encode()))
        PUBLISHED.labels(type_).inc()
    return records


def register_handlers(broker: KafkaBroker, producer: MatchEventProducer, settings: Settings,
                      service: MatchingService) -> None:
    """Catalogue events are taken in batches: each event is matched in turn, and the batch's match events are
    sent together before its offsets are committed (one send and one commit for everything fetched at once)."""
    prefix = settings.topic_prefix
    outbox = MatchOutbox(producer, topics.named(topics.MATCHES, prefix))

    def on_postings(aggregate: str, topic: str) -> BatchHandler:
        async def handle(events: list[Envelope]) -> None:
            for event in events:
                EVENTS.labels(topic, event.type).inc()
                started = time.perf_counter()
                outgoing = service.on_posting(aggregate, event.type, event.data)
                LATENCY.observe(time.perf_counter() - started)
                outbox.add(match_records(settings, outgoing))
            await outbox.send()
        return handle

    handlers = {topics.named(topic, prefix): on_postings(aggregate, topic)
                for topic, aggregate in CATALOGUE_TOPICS.items()}

    async def on_org(event: Envelope) -> None:
        EVENTS.labels(topics.ORGS, event.type).inc()
        service.on_org(event.data)

    async def on_feedback(event: Envelope) -> None:
        EVENTS.labels(topics.FEEDBACK, event.type).inc()
        outbox.add(match_records(settings, service.on_feedback(event.data)))
        await outbox.send()

    async def on_summit(event: Envelope) -> None:
        EVENTS.labels(topics.SUMMITS, event.type).inc()
        await on_summit_event(broker, prefix, event, source=settings.service_name)

    handlers[topics.named(topics.ORGS, prefix)] = one_by_one(on_org)
    handlers[topics.named(topics.FEEDBACK, prefix)] = one_by_one(on_feedback)
    handlers[topics.named(topics.SUMMITS, prefix)] = one_by_one(on_summit)
    # Postings are fetched with a short wait, organisations, answers to matches and summit events with a longer
    # one (see `subscribe_batches`).
    quiet = [topics.named(t, prefix) for t in QUIET_TOPICS]
    subscribe_batches(broker, handlers, settings.consumer_group, max_records=settings.batch_size,
                      on_dead_letter=lambda t: DEAD_LETTERS.labels(t).inc(), fetch_max_wait_ms=settings.fetch_wait_ms,
                      quiet_topics=quiet, quiet_fetch_max_wait_ms=settings.quiet_fetch_wait_ms,
                      busy_fetch_max_wait_ms=settings.busy_fetch_wait_ms,
                      commit_every_seconds=settings.commit_interval_ms / 1000)
