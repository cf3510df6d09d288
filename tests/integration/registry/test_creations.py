"""New documents and their events through the group commit (`services/registry/creations.py`), on the embedded
database: a document arriving alone is committed in a transaction of its own; documents arriving while another
transaction holds the lock share the next one, each stored with its events' outbox rows in arrival order and handed
to the relay in that order; a document that cannot be stored fails its own creation alone, and the rest of its group
is stored as if it had come alone."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from pymongo.errors import DuplicateKeyError

from deploy.stack import Stack
from services.registry.creations import Creations
from services.registry.db import Database

pytestmark = pytest.mark.integration


class Relay:
    """The relay's side of a commit: the rows handed over, one list per transaction."""

    def __init__(self) -> None:
        self.handed: list[list[str]] = []

    def committed(self, rows: list[dict]) -> None:
        self.handed.append([row["key"] for row in rows])


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[Database]:
    database = Database(stack.mongo_url, f"creations_{uuid.uuid4().hex[:8]}")
    yield database
    await database.client.drop_database(database.db.name)
    await database.close()


def posting(prefix: str) -> dict:
    return {"_id": f"{prefix}_{uuid.uuid4().hex[:12]}", "title": "面向锂电池回收的湿法冶金工艺", "version": 1}


def created(doc: dict) -> list[tuple[str, str, str, dict]]:
    topic = "registry.needs.v1" if doc["_id"].startswith("need") else "registry.results.v1"
    return [(topic, f"{doc['_id'].split('_')[0]}.created", doc["_id"], {"id": doc["_id"], "title": doc["title"]})]


async def outbox_keys(db: Database) -> list[str]:
    return [row["key"] for row in await db["outbox"].find({}, {"key": 1}).sort("_id", 1).to_list()]


async def while_locked(db: Database, creations: Creations, docs: list[dict]) -> list[object]:
    """Creates `docs` while another transaction holds the lock, then lets it go; each creation's outcome."""
    async with db.transaction():
        tasks = [asyncio.create_task(creations.create(f"{doc['_id'].split('_')[0]}s", doc, created(doc)))
                 for doc in docs]
        await asyncio.sleep(0.05)
        assert not any(task.done() for task in tasks), "nothing commits while the lock is held"
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_document_alone_is_committed_at_once_with_its_event(db: Database) -> None:
    relay = Relay()
    creations = Creations(db, relay, "/test")
    doc = posting("need")
    await creations.create("needs", doc, created(doc))
    stored = await db["needs"].find_one({"_id": doc["_id"]})
    assert stored is not None and stored["title"] == doc["title"]
    assert await outbox_keys(db) == [doc["_id"]]
    row = await db["outbox"].find_one({"key": doc["_id"]})
    assert row is not None and row["type"] == "need.created" and row["sent"] is False
    assert relay.handed == [[doc["_id"]]], "one transaction, its row handed to the relay"


async def test_documents_arriving_while_the_lock_is_held_share_the_next_transaction(db: Database) -> None:
    relay = Relay()
    creations = Creations(db, relay, "/test")
    docs = [posting("need" if i % 2 == 0 else "result") for i in range(6)]
    outcomes = await while_locked(db, creations, docs)
    assert outcomes == [None] * 6
    assert len(relay.handed) == 1, "one transaction for all six"
    ids = [doc["_id"] for doc in docs]
    assert relay.handed == [ids], "their rows handed over together, in arrival order"
    assert await outbox_keys(db) == ids
    assert sorted(d["_id"] for d in await db["needs"].find({}).to_list()) == sorted(ids[0::2])
    assert sorted(d["_id"] for d in await db["results"].find({}).to_list()) == sorted(ids[1::2])


async def test_a_document_that_cannot_be_stored_fails_alone(db: Database) -> None:
    taken = posting("need")
    await db["needs"].insert_one(dict(taken))
    relay = Relay()
    creations = Creations(db, relay, "/test")
    docs = [posting("need"), dict(taken), posting("need")]
    first, duplicate, last = await while_locked(db, creations, docs)
    assert first is None and last is None
    assert isinstance(duplicate, DuplicateKeyError), "its own request gets the error, as alone"
    assert await outbox_keys(db) == [docs[0]["_id"], docs[2]["_id"]], "no event for what was not stored"
    assert relay.handed == [[docs[0]["_id"]], [docs[2]["_id"]]]
    assert await db["needs"].count_documents({}) == 3


async def test_more_than_a_group_is_committed_a_group_at_a_time(db: Database) -> None:
    relay = Relay()
    creations = Creations(db, relay, "/test")
    docs = [posting("need") for _ in range(40)]
    assert await while_locked(db, creations, docs) == [None] * 40
    assert [len(rows) for rows in relay.handed] == [32, 8]
    assert [key for rows in relay.handed for key in rows] == [doc["_id"] for doc in docs]
    assert await outbox_keys(db) == [doc["_id"] for doc in docs]
