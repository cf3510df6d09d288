"""The embedded server's fast document encoder answers exactly as mongoeco's own, value for value.

Seeded random documents mix what Duijie writes (nested dicts and lists of text, numbers, booleans, nulls) with
what only the original handles (datetimes, ObjectIds, bytes, Decimal128, UUIDs, tuples, SON, tagged-looking
dicts) and with what it refuses (sets, non-string keys, integers beyond 64 bits). Both encoders must return
the same structure, or raise the same error.
"""

import copy
import math
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from bson import (
    SON,
    Binary,
    Code,
    CodecOptions,
    DBRef,
    Decimal128,
    Int64,
    MaxKey,
    MinKey,
    ObjectId,
    Regex,
    Timestamp,
    decode,
    encode,
)
from mongoeco.core.codec import DocumentCodec
from mongoeco.core.json_compat import json_dumps_compact

from deploy import mongo_codec
from deploy.mongo_json import finite

SCALARS = [
    lambda r: r.choice(["", "水稻育种", "a.b", "$x", "0123456789abcdef01234567", "Zeta"]),
    lambda r: r.choice([0, 1, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, -(2**63), r.randint(-999, 999)]),
    lambda r: r.choice([0.5, -0.0, math.inf, -math.inf, math.nan, r.random()]),
    lambda r: r.choice([True, False, None]),
    lambda r: r.choice([datetime(2026, 11, 29, 8, 30, tzinfo=UTC), datetime(2026, 1, 1, 12, 0),
                        datetime(2026, 11, 29, 8, 30, 1, 123456, tzinfo=timezone(timedelta(hours=8))),
                        datetime(1969, 12, 31, 23, 59, 59, 999999)]),
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


def outcome(doc: object, *, fast: bool, step: str = "encode",
            shown: Callable[[object], object] = repr) -> tuple[str, object]:
    """What `step` (`encode` or `to_internal`) answers for `doc`, fast or mongoeco's own, shown by `shown`; or the
    error it raised."""
    try:
        if fast:
            return "ok", shown(getattr(mongo_codec, step)(doc))
        with mongo_codec.unpatched():
            return "ok", shown(getattr(DocumentCodec, step)(doc))
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


def failure_or_none(check: object, doc: object) -> tuple[str, str] | None:
    try:
        check(doc)  # type: ignore[operator]
    except Exception as error:  # noqa: BLE001 - the error itself is what is compared
        return type(error).__name__, str(error)
    return None


@pytest.mark.parametrize("seed", range(4))
def test_the_fast_validation_refuses_what_the_original_refuses_with_the_same_error(seed: int) -> None:
    r = random.Random(100 + seed)
    refused = 0
    for _ in range(1500):
        doc = {f"f{i}": value(r, 1, refuse=True) for i in range(r.randint(1, 6))}
        fast = failure_or_none(mongo_codec.validate, doc)
        assert fast == failure_or_none(mongo_codec._original_validate, doc), doc
        refused += fast is not None
    assert refused > 20


WIRE_SCALARS = [
    lambda r: r.choice(["", "水稻育种", "a.b"]), lambda r: r.choice([0, -5, 2**31, 2**62, Int64(7), Int64(2**40)]),
    lambda r: r.choice([0.25, -0.0, math.inf]), lambda r: r.choice([True, False, None]),
    lambda r: datetime(2026, 11, 29, 8, 30, r.randint(0, 59), tzinfo=UTC),
    lambda r: r.choice([ObjectId("65a1b2c3d4e5f60718293a4b"), Decimal128("12.50"), Binary(b"\x00raw", 0),
                        Binary(uuid.UUID(int=r.getrandbits(128)).bytes, 4), Regex("^水", "i"), Timestamp(5, 1),
                        Code("x"), MinKey(), MaxKey(), DBRef("orgs", "org_a", extra="e")]),
]


def wire_value(r: random.Random, depth: int) -> object:
    roll = r.random()
    if depth < 4 and roll < 0.25:
        return {f"k{i}": wire_value(r, depth + 1) for i in range(r.randint(0, 4))}
    if depth < 4 and roll < 0.4:
        return [wire_value(r, depth + 1) for _ in range(r.randint(0, 4))]
    return r.choice(WIRE_SCALARS)(r)


@pytest.mark.parametrize("seed", range(3))
def test_the_fast_wire_decoding_answers_as_the_original_does(seed: int) -> None:
    """Documents go through BSON first, so the values are exactly what a request's decoding hands over."""
    r = random.Random(200 + seed)
    options = CodecOptions(tz_aware=True)
    for _ in range(800):
        raw = encode({f"f{i}": wire_value(r, 1) for i in range(r.randint(1, 6))})
        fast = mongo_codec.decode_wire(decode(raw, codec_options=options))  # (converts the decoded value in place)
        with mongo_codec.unpatched():
            original = mongo_codec._original_decode_wire(decode(raw, codec_options=options))
        assert typed(fast) == typed(original), original


@pytest.mark.parametrize("seed", range(2))
def test_the_plain_copy_equals_a_deep_copy_and_shares_no_container_with_the_original(seed: int) -> None:
    r = random.Random(300 + seed)

    def containers(tree: object) -> list[int]:
        if isinstance(tree, dict):
            return [id(tree), *(i for v in tree.values() for i in containers(v))]
        if isinstance(tree, list | tuple):
            return [id(tree), *(i for v in tree for i in containers(v))] if isinstance(tree, list) else \
                [i for v in tree for i in containers(v)]
        return []

    for _ in range(500):
        doc = {f"f{i}": value(r, 1, refuse=False) for i in range(r.randint(1, 6))}
        copied = mongo_codec.plain_copy(doc)
        assert repr(copied) == repr(copy.deepcopy(doc))
        assert not set(containers(copied)) & set(containers(doc))


def typed(value: object) -> object:
    """A value's structure with every container's and scalar's exact type (repr alone shows the engine's immutable
    containers as plain ones)."""
    if isinstance(value, dict):  # a `ValidatedDocument` is the engine's immutable document, marked as checked
        name = "_InternalBsonDocument" if isinstance(value, mongo_codec.ValidatedDocument) else type(value).__name__
        return name, [(key, typed(item)) for key, item in value.items()]
    if isinstance(value, list | tuple):
        return type(value).__name__, [typed(item) for item in value]
    return type(value).__name__, repr(value)


@pytest.mark.parametrize("seed", range(4))
def test_the_fast_internal_copy_answers_as_the_original_does(seed: int) -> None:
    """The engine's immutable copy of a written document: same containers, same values, same types, same errors."""
    r = random.Random(300 + seed)
    refused = 0
    for _ in range(1500):
        doc = {"_id": f"d{r.randint(0, 99)}", **{f"f{i}": value(r, 1, refuse=True) for i in range(r.randint(1, 6))}}
        fast = outcome(doc, fast=True, step="to_internal", shown=typed)
        assert fast == outcome(doc, fast=False, step="to_internal", shown=typed), doc
        refused += fast[0] != "ok"
    assert refused > 20
    plain = {"org_id": "org_a", "seq": 3, "data": {"ids": ["m1", "m2"], "score": 0.5}}
    internal = mongo_codec.to_internal(plain)
    assert type(internal["data"]).__name__ == "_InternalBsonDocument" and internal == plain


@pytest.mark.parametrize("seed", range(2))
def test_the_engine_copy_of_a_validated_document_is_encoded_as_the_original_encodes_it_without_a_second_check(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """To store a document the engine encodes its immutable copy: the copy the fast path made encodes as the
    original encoder encodes it, and its subtree is not walked by the validation again."""
    r = random.Random(500 + seed)
    checked: list[object] = []
    validate = mongo_codec.validate
    monkeypatch.setattr(mongo_codec, "validate", lambda value: (checked.append(value), validate(value))[1])
    copies = 0
    for _ in range(500):
        doc = {"_id": f"d{r.randint(0, 99)}", **{f"f{i}": value(r, 1, refuse=False) for i in range(r.randint(1, 6))}}
        internal = mongo_codec.to_internal(doc)
        if type(internal) is not mongo_codec.ValidatedDocument:
            continue  # a tagged-looking root goes the original's way
        copies += 1
        original = outcome(internal, fast=False)
        checked.clear()
        with mongo_codec.unpatched():  # values handed to the original encoder are its own to check, installed or not
            assert outcome(internal, fast=True) == original, doc
        assert not checked
    assert copies > 400


@pytest.mark.parametrize("seed", range(2))
def test_the_engine_copy_of_a_validated_document_is_stored_as_the_same_text(seed: int) -> None:
    """The stored JSON of the engine's copy, written without encoding its plain fields first, is the text the
    engine writes after encoding it whole; and a document whose fields are not known is encoded whole. A copy
    marked `finite` holds finite floats only (`deploy/mongo_json.py`)."""
    r = random.Random(700 + seed)
    whole, known, nonfinite = [], 0, 0
    serialized = mongo_codec.serializer(lambda doc: whole.append(doc) or json_dumps_compact(mongo_codec.encode(doc)))
    for _ in range(500):
        doc = {"_id": f"d{r.randint(0, 99)}", **{f"f{i}": value(r, 1, refuse=False) for i in range(r.randint(1, 6))}}
        internal = mongo_codec.to_internal(doc)
        whole.clear()
        assert serialized(internal) == json_dumps_compact(mongo_codec.encode(internal)), doc
        assert (whole == []) == (type(internal) is mongo_codec.ValidatedDocument)
        if type(internal) is mongo_codec.ValidatedDocument:  # noted while copying, instead of walking it again
            if internal.finite:
                assert finite(mongo_codec.encode(internal)), doc
            known += internal.finite
            nonfinite += not finite(mongo_codec.encode(internal))
    assert known > 100 and nonfinite > 20
    assert mongo_codec.to_internal({"a": [1.5, {"b": None}], "at": datetime(2026, 12, 3, tzinfo=UTC)}).finite
    assert not mongo_codec.to_internal({"a": [1.5, {"b": math.nan}]}).finite
    assert not mongo_codec.to_internal({"a": (1.5,)}).finite  # a tuple is copied by the original: not known
    unknown = mongo_codec.ValidatedDocument({"at": datetime(2026, 12, 3, tzinfo=UTC)})
    assert serialized(unknown) == json_dumps_compact(mongo_codec.encode(unknown)) and whole == [unknown]
