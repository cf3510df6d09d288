"""JSON text in and out of the services reads and writes the values the standard library's JSON does."""

import json
import math
import random
import uuid
from datetime import UTC, date, datetime

import bson

from services.contracts import json_text


def value(r: random.Random, depth: int = 0) -> object:
    roll = r.random()
    if depth < 4 and roll < 0.25:
        return {r.choice(["a", "名称", "data.x", ""]) + str(i): value(r, depth + 1) for i in range(r.randint(0, 4))}
    if depth < 4 and roll < 0.4:
        return [value(r, depth + 1) for _ in range(r.randint(0, 4))]
    return r.choice(["", "水稻育种", "line\nbreak \"quoted\" \\", "\x00\x1f", "😀", 0, -1, 2**63 - 1, -(2**63), 0.1,
                     -0.0, 1e308, 1e-5, r.random(), True, False, None])


def test_text_reads_as_the_standard_library_reads_it_whatever_wrote_it() -> None:
    r = random.Random(21)
    for _ in range(2000):
        original = value(r)
        for text in (json.dumps(original), json.dumps(original, ensure_ascii=False).encode(),
                     json_text.dumps(original)):
            assert repr(json_text.loads(text)) == repr(json.loads(text)), text
    for odd in ('{"a":NaN,"b":-Infinity}', '"\\ud800"', "1e400", bson.Binary(b'{"a":1}'), memoryview(b"[1]")):
        assert repr(json_text.loads(odd)) == repr(json.loads(bytes(odd) if isinstance(odd, memoryview) else odd))


def test_written_values_read_back_as_they_were_and_unknown_types_go_to_the_default() -> None:
    r = random.Random(22)
    for _ in range(2000):
        original = value(r)
        assert repr(json.loads(json_text.dumps(original))) == repr(original)
    at, day, key = datetime(2026, 12, 3, 8, 30, tzinfo=UTC), date(2026, 12, 3), uuid.UUID(int=7)
    doc = {"at": at, "day": day, "key": key, "名称": "水稻"}
    assert json.loads(json_text.dumps(doc, default=str)) == json.loads(json.dumps(doc, default=str))
    assert "水稻".encode() in json_text.dumps(doc, default=str)  # UTF-8 as it is, not escaped
    assert json.loads(json_text.dumps({"nan": math.nan, "inf": -math.inf})) == {"nan": None, "inf": None}
    assert json.loads(json_text.dumps({"big": 2**70, 1: "x"})) == {"big": 2**70, "1": "x"}
