"""Match events out to Kafka: what one catalogue event produced goes as one record batch per partition.

A posting usually yields about ten match events. Sent one by one, each is a producer call of its own (a future,
a trip through the accumulator); built into one batch per partition they cost one request each. Records keep
their key (the match id), so each lands on the partition the default partitioner would pick, and the order
within a partition is the order given. `publish` returns once every batch is acknowledged: the consumer commits
the triggering record only after that.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner


@dataclass(frozen=True, slots=True)
class OutgoingRecord:
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


class MatchEventProducer:
    def __init__(self, bootstrap: str, client_id: str) -> None:
        # Idempotence off: the embedded broker refuses idempotent producers; consumers are idempotent instead.
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id=client_id,
                                          enable_idempotence=False)
        self._partition_of = DefaultPartitioner()

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, topic: str, records: Sequence[OutgoingRecord]) -> None:
        if not records:
            return
        partitions = sorted(await self._producer.partitions_for(topic))
        batches: dict[int, list] = {}
        for record in records:
            partition = self._partition_of(record.key, partitions, partitions)
            open_batches = batches.setdefault(partition, [self._producer.create_batch()])
            # A full batch refuses the record; it continues in a new one (an empty batch takes any record).
            while open_batches[-1].append(key=record.key, value=record.value, timestamp=None,
                                          headers=list(record.headers)) is None:
                open_batches.append(self._producer.create_batch())
        acks = [await self._producer.send_batch(batch, topic, partition=partition)
                for partition, partition_batches in batches.items() for batch in partition_batches]
        for ack in acks:
            await ack
