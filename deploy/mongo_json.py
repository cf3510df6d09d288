"""The embedded server's JSON: orjson where it gives the same values back, the standard library where it would not.

mongoeco stores every document as JSON text in SQLite, written and read through `mongoeco.core.json_compat`, by
the standard library's `json` unless `MONGOECO_JSON_BACKEND` asks for orjson. On a match notification (1.5 kB,
half of it Chinese) the standard library took 17 µs to write the text and 14 µs to read it, orjson 2.3 µs and
5 µs; counted with callgrind (the server alone, 800 notifications in batches of 16), 0.96 million instructions
per inserted notification with the standard library, 0.82 million with orjson.

orjson alone would change what some documents hold: it writes NaN and ±Infinity as `null` (the standard library
writes `NaN` and `Infinity`, which SQLite and `json.loads` read back), and it cannot read those tokens. It also
refuses to write integers beyond 64 bits and keys that are not strings, and reads integers beyond 64 bits as
floats; no BSON value holds either, and the server refuses such integers before it stores a document. So the
backend behind `json_compat` is `Orjson` below: it writes with orjson a value holding finite floats only, and
anything else (or anything orjson refuses) with the standard library, as before; it reads with orjson and, where
orjson cannot, with the standard library. orjson writes non-ASCII characters as they are where the standard
library escapes them: the same values either way, and text written before reads the same.

Finding a non-finite float takes a walk through the value. An inserted document's walk comes free: the fast
`to_internal` (`deploy/mongo_codec.py`) already visits every value and notes whether all floats were finite, and
its encoding then calls `dumps_finite` directly.
"""

import json
import os
from typing import Any

import mongoeco.core.json_compat as json_compat
import orjson

from services.contracts import json_text

BACKEND_VARIABLE = "MONGOECO_JSON_BACKEND"


def finite(value: Any) -> bool:
    """Whether every float in `value` (through dicts, lists and tuples) is finite."""
    pending = [value]
    while pending:
        current = pending.pop()
        if type(current) is float:
            if current - current != 0.0:  # NaN and ±Infinity give NaN
                return False
        elif isinstance(current, dict):
            pending.extend(current.values())
        elif isinstance(current, (list, tuple)):
            pending.extend(current)
    return True


def _standard(value: Any, option: int) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=bool(option & orjson.OPT_SORT_KEYS)).encode()


class Orjson:
    """What `json_compat` asks of the `orjson` module, keeping every value the standard library keeps."""

    OPT_SORT_KEYS = orjson.OPT_SORT_KEYS
    JSONDecodeError = orjson.JSONDecodeError

    @staticmethod
    def dumps(value: Any, option: int = 0) -> bytes:
        if not finite(value):
            return _standard(value, option)
        return _orjson_or_standard(value, option)

    loads = staticmethod(json_text.loads)  # orjson, and the standard library where orjson cannot read the text


def _orjson_or_standard(value: Any, option: int) -> bytes:
    try:
        return orjson.dumps(value, option=option)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, a key that is not a string
        return _standard(value, option)


def dumps_finite(value: Any) -> str:
    """`json_compat.json_dumps_compact` for a value known to hold finite floats only."""
    if json_compat.orjson is Orjson and json_compat.get_json_backend_name() == "orjson":
        return _orjson_or_standard(value, 0).decode()
    return json_compat.json_dumps_compact(value)


def install() -> None:
    """orjson (as `Orjson`) behind mongoeco's JSON, unless `MONGOECO_JSON_BACKEND` names another backend."""
    os.environ.setdefault(BACKEND_VARIABLE, "orjson")
    json_compat.orjson = Orjson  # type: ignore[assignment]
    json_compat._resolve_json_backend_name.cache_clear()
