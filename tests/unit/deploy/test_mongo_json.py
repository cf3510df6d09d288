"""The embedded server's JSON backend keeps every value the standard library's JSON keeps, and reads its text.

Seeded random values mix what Duijie stores (nested dicts and lists of text, numbers, booleans, nulls) with what
orjson alone would change or refuse: NaN and ±Infinity, and keys that are not strings. Integers stay within the
64 bits a BSON value holds (orjson reads longer ones as floats; the server refuses them before they are stored).
"""

import json
import math
import random

import orjson

from deploy.mongo_json import Orjson, dumps_finite, finite

ODD = [math.nan, math.inf, -math.inf]


def value(r: random.Random, depth: int, odd: bool) -> object:
    roll = r.random()
    if depth < 4 and roll < 0.25:
        keys: list[object] = ["a", "名称", "data.x", "$k", ""]
        if odd:
            keys += [1, 2.5, None, True]
        return {r.choice(keys): value(r, depth + 1, odd) for _ in range(r.randint(0, 4))}
    if depth < 4 and roll < 0.4:
        return [value(r, depth + 1, odd) for _ in range(r.randint(0, 4))]
    if odd and roll > 0.95:
        return r.choice(ODD)
    return r.choice(["", "水稻育种", "line\nbreak \"quoted\" \\", "\x00\x1f", "😀", 0, -1, 2**63 - 1, -(2**63), 0.1,
                     -0.0, 1e308, 5e-324, r.random(), True, False, None])


def shown(value: object) -> str:
    """`repr`, which tells NaN, -0.0 and the types apart (NaN is not equal to itself)."""
    return repr(value)


def test_what_is_written_reads_back_as_the_standard_library_reads_its_own_text() -> None:
    r = random.Random(11)
    odd_seen = 0
    for i in range(3000):
        original = value(r, 0, odd=i % 2 == 0)
        expected = shown(json.loads(json.dumps(original, separators=(",", ":"))))
        assert shown(Orjson.loads(Orjson.dumps(original))) == expected, original
        if not _mixed_keys(original):
            assert shown(Orjson.loads(Orjson.dumps(original, Orjson.OPT_SORT_KEYS))) == shown(
                json.loads(json.dumps(original, sort_keys=True))), original
        odd_seen += not finite(original)
    assert odd_seen > 50


def _mixed_keys(value: object) -> bool:
    """Keys of different types cannot be sorted by the standard library either."""
    if isinstance(value, dict):
        return len({type(k) for k in value}) > 1 or any(_mixed_keys(v) for v in value.values())
    if isinstance(value, list):
        return any(_mixed_keys(v) for v in value)
    return False


def test_text_the_standard_library_wrote_reads_the_same() -> None:
    """Documents stored before orjson was the backend: non-ASCII escaped, NaN and Infinity as tokens."""
    r = random.Random(12)
    for i in range(2000):
        text = json.dumps(value(r, 0, odd=i % 2 == 0), separators=(",", ":"))
        assert shown(Orjson.loads(text)) == shown(json.loads(text)), text
        assert shown(Orjson.loads(text.encode())) == shown(json.loads(text))
        assert shown(Orjson.loads(memoryview(text.encode()))) == shown(json.loads(text))
    assert Orjson.loads('"\\ud800"') == json.loads('"\\ud800"')  # a lone surrogate escape


def test_finite_values_are_written_by_orjson_and_others_as_the_standard_library_writes_them() -> None:
    assert Orjson.dumps({"名称": "水稻", "n": 1.5}) == orjson.dumps({"名称": "水稻", "n": 1.5})
    assert Orjson.dumps({"a": [1.0, {"b": math.nan}]}) == b'{"a":[1.0,{"b":NaN}]}'
    assert Orjson.dumps({"a": -math.inf}) == b'{"a":-Infinity}'
    assert Orjson.dumps({"big": 2**64}) == b'{"big":18446744073709551616}'
    assert Orjson.dumps({1: "x"}) == b'{"1":"x"}'


def test_a_value_is_finite_when_every_float_in_it_is() -> None:
    assert finite({"a": [1.0, {"b": (2.5, "nan")}], "c": None})
    assert not finite({"a": [1.0, {"b": (2.5, math.nan)}]})
    assert not finite([math.inf]) and not finite(-math.inf)
    assert finite(2**70)


def test_a_value_known_to_be_finite_is_written_as_the_backend_writes_it() -> None:
    doc = {"名称": "水稻", "n": [1.5, {"m": None}]}
    assert json.loads(dumps_finite(doc)) == doc
