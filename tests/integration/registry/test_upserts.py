"""The registry's match and funnel writes insert what is new and update the rest, and end exactly where the
ordered upserts they replace end: any mix of proposals, replays and retractions, over documents that may
already exist."""

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

from services.registry.ledgers.store import funnel_marks
from services.registry.matches.repository import MatchRepository
from services.registry.upserts import DocumentWrite, write_in_order
from tests.support.mongo import served_client

pytestmark = pytest.mark.integration
IDS = [f"m{i}" for i in range(6)]
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncMongoClient]:
    async with served_client(tmp_path_factory.mktemp("upserts") / "upserts.sqlite3") as mongo:
        yield mongo


def match(match_id: str, score: float) -> dict:
    return {"match_id": match_id, "need_id": "need_1", "counterpart_id": f"res_{match_id}",
            "counterpart_kind": "result", "need_org_id": "org_firm", "counterpart_org_id": "org_lab",
            "score": score, "components": [{"name": "text", "score": score, "weight": 1.0, "explanation": "耐高温"}],
            "financing": [], "proposed_at": (AT + timedelta(minutes=int(score * 100))).isoformat()}


def match_writes(rng: random.Random) -> list[DocumentWrite]:
    writes = []
    for n in range(rng.randint(1, 12)):
        match_id = rng.choice(IDS)
        if rng.random() < 0.3:
            writes.append(MatchRepository._retracted(match_id, "need changed"))
        else:
            writes.append(MatchRepository._proposed(match(match_id, rng.choice([0.4, 0.7])), f"ev{n}", AT))
    return writes


def funnel_writes(rng: random.Random) -> list[DocumentWrite]:
    proposed = [(rng.choice(IDS), rng.choice(["2026-11-30", "2026-12-01"]), ["org_firm", "org_lab"])
                for _ in range(rng.randint(0, 8))]
    return funnel_marks(proposed, [rng.choice(IDS) for _ in range(rng.randint(0, 4))])


async def ends_alike(client: AsyncMongoClient, name: str, existing: list[DocumentWrite],
                     writes: list[DocumentWrite]) -> None:
    """From the same starting documents, `write_in_order` and the ordered upserts leave the same documents."""
    ours, upserted = client["upserts"][f"{name}_ours"], client["upserts"][f"{name}_upserted"]
    for collection in (ours, upserted):
        if existing:
            await collection.bulk_write([w.as_update() for w in existing], ordered=True)
    await write_in_order(ours, writes)
    await upserted.bulk_write([w.as_update() for w in writes], ordered=True)
    assert await ours.find({}).sort("_id", 1).to_list() == await upserted.find({}).sort("_id", 1).to_list()


@pytest.mark.parametrize("seed", range(12))
async def test_match_writes_end_where_the_ordered_upserts_end(client: AsyncMongoClient, seed: int) -> None:
    rng = random.Random(seed)
    await ends_alike(client, f"matches_{seed}", match_writes(rng), match_writes(rng))


@pytest.mark.parametrize("seed", range(12))
async def test_funnel_marks_end_where_the_ordered_upserts_end(client: AsyncMongoClient, seed: int) -> None:
    rng = random.Random(seed)
    await ends_alike(client, f"funnel_{seed}", funnel_writes(rng), funnel_writes(rng))


async def test_new_documents_go_in_one_insert_and_only_the_rest_as_updates(client: AsyncMongoClient) -> None:
    calls: list[tuple[str, int]] = []
    collection = client["upserts"]["counted"]

    class Counting:
        async def insert_many(self, documents: list, **kwargs: object) -> object:
            calls.append(("insert_many", len(documents)))
            return await collection.insert_many(documents, **kwargs)

        async def bulk_write(self, requests: list, **kwargs: object) -> object:
            calls.append(("bulk_write", len(requests)))
            return await collection.bulk_write(requests, **kwargs)

    await collection.insert_one({"_id": "m0", "status": "proposed", "score": 0.1})
    proposals = [MatchRepository._proposed(match(m, 0.7), "ev", AT) for m in ("m0", "m1", "m2")]
    await write_in_order(Counting(), [*proposals, MatchRepository._retracted("m1", "withdrawn")])
    assert calls == [("insert_many", 3), ("bulk_write", 2)]  # m0 existed: its upsert and the retraction follow
    stored = {d["_id"]: d for d in await collection.find({}).to_list()}
    assert (stored["m0"]["score"], stored["m1"]["status"], stored["m2"]["status"]) == (0.7, "retracted", "proposed")


def test_a_write_that_creates_its_document_must_select_it_by_id_alone() -> None:
    with pytest.raises(ValueError, match="by `_id` alone"):
        DocumentWrite({"_id": "m1", "status": "proposed"}, {"$set": {"x": 1}}, created={"_id": "m1"})
    with pytest.raises(ValueError, match="the same `_id`"):
        DocumentWrite({"_id": "m1"}, {"$set": {"x": 1}}, created={"_id": "m2"})
