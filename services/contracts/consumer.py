"""Subscribing to an event topic the same way in every service: validate, handle, or dead-letter.

A record that is not a valid envelope goes to `<topic>.dlq` with the reason in its headers and the
consumer carries on. A handler that fails is retried a few times (handlers are idempotent), then the
record is dead-lettered with the error so one poison message never stalls a partition.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage

from services.contracts.envelope import Envelope
from services.contracts.topics import dlq
from services.contracts.wire import InvalidEvent, decode

log = logging.getLogger("duijie.consumer")

Handler = Callable[[Envelope], Awaitable[None]]


async def dead_letter(broker: KafkaBroker, topic: str, message: KafkaMessage, reason: str) -> None:
    raw = message.raw_message
    key = getattr(raw, "key", None)
    await broker.publish(
        message.body, dlq(topic), key=key,
        headers={"dlq_reason": reason[:1000], "dlq_topic": topic,
                 "dlq_offset": str(getattr(raw, "offset", "")), "dlq_partition": str(getattr(raw, "partition", ""))},
    )
    log.warning("dead-lettered a record from %s: %s", topic, reason[:200])


def subscribe_events(
    broker: KafkaBroker, handlers: dict[str, Handler], group_id: str, *, attempts: int = 3,
    on_dead_letter: Callable[[str], None] | None = None, fetch_max_wait_ms: int = 20,
) -> None:
    """One consumer-group member for all of a service's input topics (one join, one rebalance)."""

    async def consume(message: KafkaMessage) -> None:
        topic = message.raw_message.topic
        handler = handlers[topic]
        try:
            envelope = decode(message.body)
        except InvalidEvent as error:
            await dead_letter(broker, topic, message, f"invalid event: {error}")
            if on_dead_letter:
                on_dead_letter(topic)
            return
        for attempt in range(1, attempts + 1):
            try:
                await handler(envelope)
                return
            except Exception as error:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
                if attempt == attempts:
                    await dead_letter(broker, topic, message, f"handler failed: {type(error).__name__}: {error}")
                    if on_dead_letter:
                        on_dead_letter(topic)
                    return
                log.warning("handler for %s failed (attempt %d): %s", topic, attempt, error)
                await asyncio.sleep(0.2 * 2**attempt)

    consume.__name__ = f"consume_{group_id}"
    # A short fetch wait keeps each hop's latency low on brokers that answer a fetch only at its deadline.
    broker.subscriber(*handlers, group_id=group_id, auto_offset_reset="earliest", ack_policy=AckPolicy.ACK,
                      fetch_max_wait_ms=fetch_max_wait_ms)(consume)
