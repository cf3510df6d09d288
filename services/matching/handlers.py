"""Thin subscribers: a catalogue or feedback event in, the service, match events out."""

import time

from faststream.kafka import KafkaBroker
from prometheus_client import Counter, Histogram

from services.contracts import topics
from services.contracts.consumer import subscribe_events
from services.contracts.envelope import Envelope, deterministic_id, new_event
from services.contracts.wire import encode, record_headers
from services.matching.publisher import MatchEventProducer, OutgoingRecord
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


def match_records(settings: Settings, outgoing: list[Outgoing]) -> list[OutgoingRecord]:
    """Each match event as a Kafka record keyed by its match id, with a deterministic event id."""
    records = []
    for type_, subject, data in outgoing:
        event = new_event(type_, subject, data, source=settings.service_name,
                          event_id=deterministic_id(type_, subject, data.get("need_version"),
                                                    data.get("counterpart_version"), data.get("reason")))
        headers = tuple((name, value.encode()) for name, value in record_headers(event.type, event.id).items())
        records.append(OutgoingRecord(subject.encode(), encode(event), headers))
        PUBLISHED.labels(type_).inc()
    return records


def register_handlers(broker: KafkaBroker, producer: MatchEventProducer, settings: Settings,
                      service: MatchingService) -> None:
    prefix = settings.topic_prefix
    matches_topic = topics.named(topics.MATCHES, prefix)

    async def publish(outgoing: list[Outgoing]) -> None:
        await producer.publish(matches_topic, match_records(settings, outgoing))

    handlers = {}
    for topic, aggregate in CATALOGUE_TOPICS.items():
        async def on_posting(event: Envelope, aggregate: str = aggregate, topic: str = topic) -> None:
            EVENTS.labels(topic, event.type).inc()
            started = time.perf_counter()
            outgoing = service.on_posting(aggregate, event.type, event.data)
            LATENCY.observe(time.perf_counter() - started)
            await publish(outgoing)

        handlers[topics.named(topic, prefix)] = on_posting

    async def on_org(event: Envelope) -> None:
        EVENTS.labels(topics.ORGS, event.type).inc()
        service.on_org(event.data)

    async def on_feedback(event: Envelope) -> None:
        EVENTS.labels(topics.FEEDBACK, event.type).inc()
        await publish(service.on_feedback(event.data))

    handlers[topics.named(topics.ORGS, prefix)] = on_org
    handlers[topics.named(topics.FEEDBACK, prefix)] = on_feedback

    async def on_summit(event: Envelope) -> None:
        EVENTS.labels(topics.SUMMITS, event.type).inc()
        await on_summit_event(broker, prefix, event, source=settings.service_name)

    handlers[topics.named(topics.SUMMITS, prefix)] = on_summit
    subscribe_events(broker, handlers, settings.consumer_group, on_dead_letter=lambda t: DEAD_LETTERS.labels(t).inc())
