"""Match events wait in the outbox until the broker has them: a batch retried after a failed send, which computes
nothing new for the events it already handled, still sends what they produced."""

import asyncio
from collections.abc import Sequence

import pytest

from services.matching.engine import MatchingEngine
from services.matching.handlers import match_records
from services.matching.publisher import MatchOutbox, OutgoingRecord
from services.matching.service import MatchingService
from services.matching.settings import Settings
from tests.unit.matching.test_service import need, result


class FlakyProducer:
    """Refuses the first `failures` sends, then keeps what it is given."""

    def __init__(self, failures: int) -> None:
        self.failures, self.sent = failures, []

    async def publish(self, topic: str, records: Sequence[OutgoingRecord]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker unreachable")
        self.sent += [(topic, record) for record in records]


def handle(service: MatchingService, outbox: MatchOutbox, settings: Settings, events: list[tuple]) -> None:
    """What the catalogue batch handler does: match each event, then send the batch's match events."""
    for aggregate, type_, data in events:
        outbox.add(match_records(settings, service.on_posting(aggregate, type_, data)))
    asyncio.run(outbox.send())


def test_match_events_of_a_failed_send_go_out_with_the_retry_that_computes_nothing_new() -> None:
    settings = Settings(rebuild_from_registry=False)
    service = MatchingService(MatchingEngine(min_score=0.2))
    producer = FlakyProducer(failures=1)
    outbox = MatchOutbox(producer, "matches.v1")  # type: ignore[arg-type]
    batch = [("result", "result.published", result()), ("need", "need.posted", need())]

    with pytest.raises(ConnectionError):
        handle(service, outbox, settings, batch)
    assert producer.sent == [] and outbox.pending == 1

    handle(service, outbox, settings, batch)  # the retried batch: the match is already known, nothing new
    assert [record.key for _, record in producer.sent] == [outbox_key(service)]
    assert outbox.pending == 0

    handle(service, outbox, settings, batch)  # a replay after success sends nothing again
    assert len(producer.sent) == 1


def test_records_added_while_a_send_is_in_flight_wait_for_the_next_send() -> None:
    class SlowProducer(FlakyProducer):
        async def publish(self, topic: str, records: Sequence[OutgoingRecord]) -> None:
            await asyncio.sleep(0.01)
            await super().publish(topic, records)

    producer = SlowProducer(failures=0)
    outbox = MatchOutbox(producer, "matches.v1")  # type: ignore[arg-type]
    first, second = OutgoingRecord(b"m1", b"{}", ()), OutgoingRecord(b"m2", b"{}", ())

    async def scenario() -> None:
        outbox.add([first])
        sending = asyncio.create_task(outbox.send())
        await asyncio.sleep(0)
        outbox.add([second])
        await sending
        assert outbox.pending == 1
        await outbox.send()

    asyncio.run(scenario())
    assert [record for _, record in producer.sent] == [first, second]


def outbox_key(service: MatchingService) -> bytes:
    (match_id,) = service.book.matches
    return match_id.encode()


def test_a_needs_match_events_are_keyed_by_match_and_placed_by_the_need_retraction_included() -> None:
    settings = Settings(rebuild_from_registry=False)
    service = MatchingService(MatchingEngine(min_score=0.2))
    service.on_posting("result", "result.published", result())
    service.on_posting("result", "result.published", result("result_rice_2"))
    proposed = match_records(settings, service.on_posting("need", "need.posted", need()))
    match_ids = {match_id.encode() for match_id in service.book.matches}
    retracted = match_records(settings, service.on_posting("need", "need.closed", need(version=2, status="closed")))

    assert len(match_ids) == 2
    assert {record.key for record in proposed} == {record.key for record in retracted} == match_ids
    assert {record.partition_by for record in proposed + retracted} == {need()["id"].encode()}


def test_overlapping_sends_forget_only_what_they_sent_so_a_failed_send_keeps_its_records() -> None:
    """The quiet lane's answer to a match (feedback) sends the outbox while the postings lane's send is in flight:
    when the two sends end, each forgets the records it sent, not as many records from the front of the outbox. A
    record added after both were taken, whose own send then fails, stays for the retry (which computes nothing new)."""
    class GatedProducer(FlakyProducer):
        def __init__(self) -> None:
            super().__init__(failures=0)
            self.gates: list[asyncio.Event] = []

        async def publish(self, topic: str, records: Sequence[OutgoingRecord]) -> None:
            gate = asyncio.Event()
            self.gates.append(gate)
            await gate.wait()
            await super().publish(topic, records)

    producer = GatedProducer()
    outbox = MatchOutbox(producer, "matches.v1")  # type: ignore[arg-type]
    first, second = OutgoingRecord(b"m1", b"{}", ()), OutgoingRecord(b"m2", b"{}", ())

    async def scenario() -> None:
        outbox.add([first])
        postings = asyncio.create_task(outbox.send())  # the postings lane's batch
        feedback = asyncio.create_task(outbox.send())  # the quiet lane's, nothing of its own to add
        await asyncio.sleep(0)
        producer.gates[0].set()
        await postings
        outbox.add([second])  # the next batch of postings: its send is refused
        failing = asyncio.create_task(outbox.send())
        await asyncio.sleep(0)
        producer.gates[1].set()
        await feedback
        producer.failures = 1
        producer.gates[2].set()
        with pytest.raises(ConnectionError):
            await failing
        assert outbox.pending == 1, "the record of the refused send waits for the retry"

    asyncio.run(scenario())
