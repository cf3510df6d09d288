"""The embedded server stores documents as JSON text through orjson, and gives back every value it was given,
NaN and ±Infinity included (`deploy/mongo_json.py`)."""

import math
from datetime import UTC, datetime
from pathlib import Path

from tests.support.mongo import served_client, stored_rows

AT = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)


def stored_text(path: Path, collection: str) -> list[str]:
    """The collection's documents as stored: JSON text."""
    documents, _ = stored_rows(path, collection)
    return [document for _, document in documents]


async def test_documents_come_back_with_every_value_and_are_stored_as_orjson_writes_them(tmp_path: Path) -> None:
    path = tmp_path / "json.sqlite3"
    async with served_client(path) as client:
        notes, odd = client["json"]["notes"], client["json"]["odd"]
        await notes.create_index("tag")
        plain = {"_id": "plain", "tag": "水稻", "score": 0.25, "at": AT, "data": {"words": ["育种", "品种"]}}
        await notes.insert_many([plain, {"_id": "other", "tag": "玉米", "score": 1e308}])
        assert await notes.find_one({"_id": "plain"}) == plain
        assert [d["_id"] for d in await notes.find({"tag": "水稻"}).to_list()] == ["plain"]
        assert [d["_id"] for d in await notes.find({"data.words": "育种"}).to_list()] == ["plain"]
        # SQLite's JSON functions refuse NaN, so a filter on a collection holding one fails, whatever writes the
        # text (it did before orjson too): these are read back by `_id`.
        await odd.insert_many([{"_id": f"odd{i}", "v": value, "nested": {"list": [1.5, value]}}
                               for i, value in enumerate((math.nan, math.inf, -math.inf))])  # the batch path
        await odd.insert_one({"_id": "later", "v": 1.0})
        await odd.update_one({"_id": "later"}, {"$set": {"v": math.nan, "w": [-math.inf]}})
        got = {i: await odd.find_one({"_id": i}) for i in ("odd0", "odd1", "odd2", "later")}
        assert math.isnan(got["odd0"]["v"]) and math.isnan(got["odd0"]["nested"]["list"][1])
        assert got["odd1"]["v"] == math.inf and got["odd2"]["nested"]["list"] == [1.5, -math.inf]
        assert math.isnan(got["later"]["v"]) and got["later"]["w"] == [-math.inf]

    assert any('"水稻"' in text for text in stored_text(path, "notes"))  # not escaped: orjson wrote it
    assert all("NaN" in text or "Infinity" in text for text in stored_text(path, "odd"))
