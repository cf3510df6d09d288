"""Concurrent deliveries share their inserts: one write per window, each caller told its own outcome."""

import asyncio

import pytest
from pymongo.errors import BulkWriteError

from services.notify.group_insert import GroupInsert


class FakeCollection:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.ids: set[str] = set()
        self.calls: list[int] = []
        self.fail_with = fail_with

    async def insert_many(self, documents: list[dict], ordered: bool = True) -> None:
        assert ordered is False
        self.calls.append(len(documents))
        await asyncio.sleep(0)
        if self.fail_with:
            raise self.fail_with
        errors = []
        for index, document in enumerate(documents):
            if document["_id"] in self.ids:
                errors.append({"index": index, "code": 11000, "errmsg": "duplicate key"})
            self.ids.add(document["_id"])
        if errors:
            raise BulkWriteError({"writeErrors": errors})


async def test_inserts_made_together_are_one_write_and_duplicates_are_reported_to_their_caller() -> None:
    collection = FakeCollection()
    collection.ids.add("taken")
    group = GroupInsert(collection)
    outcomes = await asyncio.gather(*(group.insert({"_id": f"d{i}"}) for i in range(50)),
                                    group.insert({"_id": "taken"}))
    assert outcomes == [True] * 50 + [False]
    assert collection.calls == [51]


async def test_a_large_burst_is_written_in_bounded_batches() -> None:
    collection = FakeCollection()
    group = GroupInsert(collection, max_documents=20)
    assert all(await asyncio.gather(*(group.insert({"_id": f"d{i}"}) for i in range(45))))
    assert collection.calls == [20, 20, 5]


async def test_a_failed_write_fails_every_caller_of_that_batch() -> None:
    group = GroupInsert(FakeCollection(fail_with=ConnectionError("database down")))
    results = await asyncio.gather(group.insert({"_id": "a"}), group.insert({"_id": "b"}), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    with pytest.raises(ConnectionError):
        await group.insert({"_id": "c"})
