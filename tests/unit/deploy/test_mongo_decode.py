"""The embedded server reads documents back as mongoeco does, without inspecting its decoder for each one."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from bson import ObjectId
from mongoeco.engines.sqlite import SQLiteEngine

from deploy import mongo_server

DOCUMENTS = [
    {"_id": "ntf_1", "seq": 7, "at": datetime(2026, 12, 1, 8, 30, tzinfo=UTC),
     "data": {"match_id": "m_1", "scores": [0.5, 1, None], "when": [datetime(2026, 1, 2)]}, "owner": ObjectId()},
    {"_id": "plain", "title": "水稻育种", "n": 3, "ok": True, "tags": ["a", "b"]},
]


@pytest.fixture
def engine(tmp_path: Path) -> SQLiteEngine:
    return mongo_server.engine_for(tmp_path / "decode.sqlite3")


@pytest.mark.parametrize("document", DOCUMENTS)
def test_documents_read_back_as_mongoeco_reads_them(engine: SQLiteEngine, document: dict) -> None:
    payload = engine._serialize_document(document)
    assert engine._deserialize_document(payload) == SQLiteEngine._deserialize_document(
        SQLiteEngine(":memory:"), payload)
    assert (engine._deserialize_document(payload, preserve_bson_wrappers=False)
            == SQLiteEngine(":memory:")._deserialize_document(payload, preserve_bson_wrappers=False))


def test_the_decoder_is_inspected_once(engine: SQLiteEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    inspected = []
    signature = mongo_server.inspect.signature
    monkeypatch.setattr(mongo_server.inspect, "signature", lambda f: inspected.append(f) or signature(f))
    payload = engine._serialize_document(DOCUMENTS[0])
    for _ in range(50):
        assert engine._deserialize_document(payload)["at"] == DOCUMENTS[0]["at"].replace(tzinfo=None)
    assert len(inspected) == 1
