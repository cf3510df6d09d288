"""The embedded server's fast document encoder answers exactly as mongoeco's own, value for value.

Seeded random documents mix what Duijie writes (nested dicts and lists of text, numbers, booleans, nulls) with
what only the original handles (datetimes, ObjectIds, bytes, Decimal128, UUIDs, tuples, SON, tagged-looking
dicts) and with what it refuses (sets, non-string keys, integers beyond 64 bits). Both encoders must return
the same structure, or raise the same error.
"""

import math
import random
import uuid
from datetime import UTC, datetime

import pytest
from bson import SON, Decimal128, ObjectId
from mongoeco.core.codec import DocumentCodec

from deploy import mongo_codec

SCALARS = [
    lambda r: r.choice(["", "水稻育种", "a.b", "$x", "0123456789abcdef01234567", "Zeta"]),
    lambda r: r.choice([0, 1, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, -(2**63), r.randint(-999, 999)]),
    lambda r: r.choice([0.5, -0.0, math.inf, -math.inf, math.nan, r.random()]),
    lambda r: r.choice([True, False, None]),
    lambda r: r.choice([datetime(2026, 11, 29, 8, 30, tzinfo=UTC), datetime(2026, 1, 1, 12, 0)]),
    lambda r: r.choice([ObjectId("65a1b2c3d4e5f60718293a4b"), b"\x00raw", Decimal128("12.50"),
                        uuid.UUID(int=r.getrandbits(128))]),
]
REFUSED = [lambda r: {1, 2}, lambda r: 2**63, lambda r: -(2**63) - 1, lambda r: {7: "key"}]


def value(r: random.Random, depth: int, refuse: bool) -> object:
    roll = r.random()
    if depth < 4 and roll < 0.25:
        return {r.choice(["a", "b", "名称", "$mongoeco", "data.x"]) + str(i): value(r, depth + 1, refuse)
                for i in range(r.randint(0, 4))}
    if depth < 4 and roll < 0.4:
        items = [value(r, depth + 1, refuse) for _ in range(r.randint(0, 4))]
        return r.choice([items, tuple(items), SON((f"k{i}", v) for i, v in enumerate(items))])
    if depth and roll < 0.43:
        return {"$mongoeco": {"type": "dict", "value": value(r, depth + 1, refuse)}}
    if refuse and roll > 0.985:
        return r.choice(REFUSED)(r)
    return r.choice(SCALARS)(r)


def outcome(doc: object, *, fast: bool) -> tuple[str, str]:
    try:
        if fast:
            return "ok", repr(mongo_codec.encode(doc))
        with mongo_codec.unpatched():
            return "ok", repr(DocumentCodec.encode(doc))
    except Exception as error:  # noqa: BLE001 - the error itself is what is compared
        return type(error).__name__, str(error)


@pytest.mark.parametrize("seed", range(4))
def test_the_fast_encoder_answers_as_the_original_does(seed: int) -> None:
    r = random.Random(seed)
    refused = 0
    for _ in range(1500):
        doc = {"_id": f"d{r.randint(0, 99)}", **{f"f{i}": value(r, 1, refuse=True) for i in range(r.randint(1, 6))}}
        fast = outcome(doc, fast=True)
        assert fast == outcome(doc, fast=False), doc
        if fast[0] == "ok":  # the engine's immutable internal copy of a document encodes the same way
            with mongo_codec.unpatched():
                internal = DocumentCodec.to_internal(doc)
            assert outcome(internal, fast=True) == outcome(internal, fast=False), doc
        refused += fast[0] != "ok"
    assert refused > 20  # the refusals were exercised too


def test_plain_documents_come_back_unchanged_and_other_values_tagged() -> None:
    doc = {"org_id": "org_a", "score": 0.73, "seq": 12, "streamed": True, "release_at": None,
           "data": {"components": [{"name": "text", "explanation": "共同关键词: 水稻"}]}}
    assert mongo_codec.encode(doc) == doc
    at = datetime(2026, 11, 29, 8, 30, tzinfo=UTC)
    tagged = mongo_codec.encode({"at": at, "list": [at]})
    with mongo_codec.unpatched():
        assert tagged == DocumentCodec.encode({"at": at, "list": [at]})
    assert tagged["at"] != at and tagged["list"][0] == tagged["at"]
