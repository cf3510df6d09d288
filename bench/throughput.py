"""Events per second through matching's real consumer (100k catalogue) against a no-op consumer.

The no-op consumers and matching use the project's subscription code (`services.contracts.consumer`: one group
member, envelope validation, commit after handling) on the same embedded Tansu broker. The no-op handler does
nothing; the matching handlers are the service's own (engine + match events published back to Kafka, committed
after the broker acknowledged them). Matching takes its events in batches (`subscribe_batches`); `ratio` compares it
with the plain one-record-at-a-time FastStream consumer, `ratio_batch_noop` with a no-op taking the same batches.
Needs are pre-produced, then each consumer drains its topic; eps = records / (last − first handled, matching's
last = its last batch acknowledged). Last line: {"matching_eps", "noop_eps", "ratio", ...}.
"""

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from bench.speed import make_needs, synthesise
from deploy.stack import Stack, ports_from_env
from services.contracts import topics
from services.contracts.consumer import subscribe_batches, subscribe_events
from services.contracts.envelope import Envelope, new_event
from services.contracts.wire import encode
from services.matching.domain import Need
from services.matching.engine import MatchingEngine
from services.matching.handlers import register_handlers
from services.matching.publisher import MatchEventProducer
from services.matching.service import MatchingService
from services.matching.settings import Settings


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def need_event(need: Need) -> bytes:
    data = {"id": need.id, "org_id": need.org_id, "version": 1, "status": "open", "title": need.title,
            "keywords": list(need.keywords)}
    return encode(new_event("need.posted", need.id, data, source="/bench"))


async def produce(bootstrap: str, topic: str, records: list[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, linger_ms=5)
    await producer.start()
    try:
        sent = [await producer.send(topic, value, key=key.encode()) for key, value in records]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


class Clock:
    """First and last handling times, and a signal when `expected` records were handled."""

    def __init__(self, expected: int) -> None:
        self.expected, self.count = expected, 0
        self.first = self.last = 0.0
        self.done = asyncio.Event()

    def tick(self, handled: int = 1) -> None:
        now = time.perf_counter()
        self.first = self.first or now
        self.count += handled
        self.last = now
        if self.count >= self.expected:
            self.done.set()

    @property
    def eps(self) -> float:
        return (self.count - 1) / (self.last - self.first) if self.count > 1 and self.last > self.first else 0.0


async def drain(broker: KafkaBroker, clock: Clock, within: float) -> float:
    await broker.start()
    try:
        await asyncio.wait_for(clock.done.wait(), within)
    finally:
        await broker.stop()
    return clock.eps


async def drain_noop(bootstrap: str, topic: str, events: int, batch_size: int | None) -> float:
    """A consumer that does nothing with each event: one record at a time, or in batches of up to `batch_size`."""
    clock = Clock(events)
    broker = KafkaBroker(bootstrap, enable_idempotence=False, logger=None)

    async def nothing(_: Envelope) -> None:
        clock.tick()

    async def nothing_each(batch: list[Envelope]) -> None:
        for _ in batch:
            clock.tick()

    if batch_size is None:
        subscribe_events(broker, {topic: nothing}, "bench-noop")
    else:
        subscribe_batches(broker, {topic: nothing_each}, "bench-noop-batches", max_records=batch_size)
    return await drain(broker, clock, within=300)


async def run(catalog: int, events: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="duijie-throughput-") as var:
        stack = Stack(var=Path(var), ports=ports_from_env(use_free_ports=True), services=())
        await stack.start()
        try:
            needs = make_needs(events, seed)
            records = [(n.id, need_event(n)) for n in needs]
            noop_topic, prefix = "bench.noop.needs.v1", "bench."
            await produce(stack.bootstrap, noop_topic, records)
            await produce(stack.bootstrap, topics.named(topics.NEEDS, prefix), records)
            log(f"produced {events} need events to each topic")

            settings = Settings(kafka_bootstrap=stack.bootstrap, topic_prefix=prefix, rebuild_from_registry=False,
                                consumer_group="bench-matching")
            noop_eps = await drain_noop(stack.bootstrap, noop_topic, events, batch_size=None)
            log(f"no-op consumer: {noop_eps:.0f} events/s")
            noop_batch_eps = await drain_noop(stack.bootstrap, noop_topic, events, batch_size=settings.batch_size)
            log(f"no-op consumer, batches of up to {settings.batch_size}: {noop_batch_eps:.0f} events/s")

            log(f"building a {catalog:,}-result catalogue ...")
            engine = MatchingEngine()
            started = time.perf_counter()
            for result in synthesise(catalog, seed):
                engine.upsert(result)
            log(f"indexed in {time.perf_counter() - started:.1f} s")
            service = MatchingService(engine, limit=settings.matches_per_posting)
            # Timed from the first need's matching to the acknowledgement of the last need's match events.
            clock, matched = Clock(events), [0]
            on_posting = service.on_posting

            def counted(*args: object, **kwargs: object) -> list:
                clock.first = clock.first or time.perf_counter()
                out = on_posting(*args, **kwargs)  # type: ignore[arg-type]
                matched[0] += 1
                return out

            service.on_posting = counted  # type: ignore[method-assign]
            broker = KafkaBroker(stack.bootstrap, enable_idempotence=False, logger=None)
            producer = MatchEventProducer(stack.bootstrap, client_id="bench-matching")
            publish = producer.publish

            async def acknowledged(*args: object, **kwargs: object) -> None:
                await publish(*args, **kwargs)  # type: ignore[arg-type]
                clock.tick(matched[0])
                matched[0] = 0

            producer.publish = acknowledged  # type: ignore[method-assign]
            register_handlers(broker, producer, settings, service)
            await producer.start()
            try:
                matching_eps = await drain(broker, clock, within=600)
            finally:
                await producer.stop()
            log(f"matching consumer: {matching_eps:.0f} events/s")
        finally:
            stack.stop()
    return {"catalog": catalog, "events": events, "matching_eps": round(matching_eps, 1),
            "noop_eps": round(noop_eps, 1), "ratio": round(matching_eps / noop_eps, 3) if noop_eps else 0.0,
            "noop_batch_eps": round(noop_batch_eps, 1),
            "ratio_batch_noop": round(matching_eps / noop_batch_eps, 3) if noop_batch_eps else 0.0}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=int, default=100_000, help="results in the matching index")
    parser.add_argument("--events", type=int, default=2_000, help="need events each consumer drains")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(run(args.catalog, args.events, args.seed))), flush=True)


if __name__ == "__main__":
    main()
