"""Match events out to Kafka: what one catalogue event produced goes as one record batch per partition.

A posting usually yields about ten match events. Sent one by one, each is a producer call of its own (a future,
a trip through the accumulator); built into one batch per partition they cost one request each. Records keep
their key (the match id) and land on the partition the default partitioner picks for their `partition_by` (the
need's id; the key when there is none), and the order within a partition is the order given. `publish` returns
once every batch is acknowledged: the consumer commits the triggering record only after that.
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
    partition_by: bytes | None = None  # what picks the partition, when it is not the key


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
            partition = self._partition_of(record.partition_by or record.key, partitions, partitions)
            open_batches = batches.setdefault(partition, [self._producer.create_batch()])
            # A full batch refuses the record; it continues in a new one (an empty batch takes any record).
            while open_batches[-1].append(key=record.key, value=record.value, timestamp=None,
                                          headers=list(record.headers)) is None:
                open_batches.append(self._producer.create_batch())
        acks = [await self._producer.send_batch(batch, topic, partition=partition)
                for partition, partition_batches in batches.items() for batch in partition_batches]
        for ack in acks:
            await ack


class MatchOutbox:
    """Match events waiting for the broker's acknowledgement, kept until it comes.

    Matching remembers a match as proposed as soon as it computes it, so a batch retried after a failed send (or
    after a later event in it failed) computes nothing new for the events it already handled. What they produced
    waits here and goes out with the next send; event ids are deterministic, so anything sent twice is the same
    event to its consumers.
    """

    def __init__(self, producer: MatchEventProducer, topic: str) -> None:
        self._producer, self._topic = producer, topic
        self._pending: list[OutgoingRecord] = []

    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, records: Sequence[OutgoingRecord]) -> None:
        self._pending.extend(records)

    async def send(self) -> None:
        """Everything pending now; what is added while this send is in flight waits for the next one. Sends may
        overlap (the postings lane's and the quiet lane's): each forgets only the records it sent."""
        records = list(self._pending)
        await self._producer.publish(self._topic, records)
        sent = {id(record) for record in records}
        self._pending = [record for record in self._pending if id(record) not in sent]
