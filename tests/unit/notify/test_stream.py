"""The live stream's cursor: late arrivals are never skipped, and the id a client resumes from is never past a
message it has not been sent. Runs on mongoeco's in-memory engine (a real query engine, no server)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from mongoeco import AsyncMongoClient

from services.notify.stream import Cursor, resume_point

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Store:
    def __init__(self) -> None:
        self.db = AsyncMongoClient()[f"stream_{id(self)}"]

    def __getitem__(self, name: str):  # noqa: ANN204
        return self.db[name]

    async def add(self, seq: int, org_id: str = "org_a", age: float = 0.0, streamed: bool = True,
                  reserved: bool = True) -> None:
        if reserved:  # numbered by the counter, as the notifier does
            await self.db["counters"].update_one({"_id": "notifications"}, {"$max": {"seq": seq}}, upsert=True)
        await self.db["notifications"].insert_one({
            "_id": f"ntf_{seq}", "seq": seq, "org_id": org_id, "type": "match.proposed", "data": {},
            "created_at": NOW - timedelta(seconds=age), "streamed": streamed})


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    yield Store()


async def sent(cursor: Cursor) -> list[tuple[int, str]]:
    return [(doc["seq"], event_id) for doc, event_id in await cursor.step(now=NOW)]


async def test_a_notification_inserted_late_below_one_already_sent_is_still_sent(store: Store) -> None:
    await store.add(1)
    await store.add(3)  # 2 is reserved but its insert has not landed yet
    cursor = Cursor(store, "org_a", 0, settle=10.0)
    assert await sent(cursor) == [(1, "1"), (3, "1")], "the id stays below the gap"
    await store.add(2)
    assert await sent(cursor) == [(2, "3")]
    assert await sent(cursor) == []


async def test_resuming_from_any_id_given_out_loses_nothing(store: Store) -> None:
    for seq in (1, 2, 4, 5):
        await store.add(seq)
    first = await sent(Cursor(store, "org_a", 0, settle=10.0))
    assert first == [(1, "1"), (2, "2"), (4, "2"), (5, "2")]
    await store.add(3)
    resumed = await sent(Cursor(store, "org_a", int(first[-1][1]), settle=10.0))
    assert [seq for seq, _ in resumed] == [3, 4, 5], "repeats are allowed, a gap is not"


async def test_a_number_never_inserted_is_passed_once_a_later_one_has_settled(store: Store) -> None:
    await store.add(1, age=30)
    await store.add(3, age=30)  # 2 was a refused duplicate: it will never exist
    await store.add(4)
    cursor = Cursor(store, "org_a", 0, settle=10.0)
    assert await sent(cursor) == [(1, "2"), (3, "3"), (4, "4")]


async def test_other_organisations_and_unstreamed_notifications_fill_the_sequence_but_are_not_sent(
        store: Store) -> None:
    await store.add(1)
    await store.add(2, org_id="org_b")
    await store.add(3, streamed=False)
    await store.add(4)
    assert await sent(Cursor(store, "org_a", 0, settle=10.0)) == [(1, "3"), (4, "4")]


async def test_a_backlog_larger_than_one_step_is_sent_whole(store: Store) -> None:
    for seq in range(1, 251):
        await store.add(seq, age=60)
    cursor = Cursor(store, "org_a", 0, settle=10.0)
    seen = []
    for _ in range(4):
        seen += [seq for seq, _ in await sent(cursor)]
    assert seen == list(range(1, 251))


async def test_a_number_the_counter_never_handed_out_does_not_let_the_watermark_jump(store: Store) -> None:
    await store.add(1)
    await store.add(10**9, age=300, reserved=False)  # written by hand, far beyond the counter
    await store.add(3)  # 2 is reserved, its insert still on its way
    cursor = Cursor(store, "org_a", 0, settle=10.0)
    assert await sent(cursor) == [(1, "1"), (3, "1"), (10**9, "1")]
    await store.add(2)
    assert await sent(cursor) == [(2, "3")]


def test_a_stream_resumes_from_an_id_it_gave_and_from_the_start_for_anything_else() -> None:
    assert resume_point("42") == 42 and resume_point(" 42 ") == 42
    assert resume_point(str(2**70)) == 2**63 - 1, "no further than a document's number can reach"
    for unreadable in (None, "", "-1", "4e2", "abc", "²", "\udcb2", "٤٢"):
        assert resume_point(unreadable) == 0, repr(unreadable)
