"""A faster path through mongoeco's document codec for plain JSON-shaped values.

mongoeco's `DocumentCodec.encode` turns a document into its stored form. For a dict it first validates the
whole subtree (keys are strings, integers fit in 64 bits, no sets), then encodes each value, which validates
that value's subtree again: a document nested three deep is validated three times, and every scalar runs
through some thirty type checks before it comes back unchanged. Encoding was over half of the embedded
server's time per insert of a match notification.

The fast path validates a plain document once, as the original does first, then returns exact `dict` and
`list` containers, `str`, `bool`, `None`, `float` and `int` as they are, which is what the original answers for
them. Anything else (datetimes, ObjectIds, bytes, subclasses such as SON, tagged-looking dicts) goes to the
original, which encodes it or raises its own error. `tests/unit/deploy/test_mongo_codec.py` compares both on
seeded random documents.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mongoeco.core.bson_scalars import INT64_MAX, INT64_MIN, validate_bson_value
from mongoeco.core.codec import DocumentCodec, _InternalBsonArray, _InternalBsonDocument

_original_encode = DocumentCodec.encode
_UNCHANGED = (str, bool, float, type(None))
_DICTS = (dict, _InternalBsonDocument)  # the engine's own immutable copies are encoded like plain ones
_LISTS = (list, _InternalBsonArray)


def encode(data: Any) -> Any:
    """What `DocumentCodec.encode` answers. A plain dict's subtree is validated once, as the original validates it
    first (so the same error comes first), and its values are then encoded without validating them again."""
    kind = type(data)
    if kind in _DICTS and DocumentCodec._MARKER not in data:
        validate_bson_value(data)
        return {key: _encode_valid(value) for key, value in data.items()}
    if kind in _LISTS:
        return [encode(value) for value in data]
    if kind in _UNCHANGED or (kind is int and INT64_MIN <= data <= INT64_MAX):
        return data
    return _original_encode(data)


def _encode_valid(data: Any) -> Any:
    """`encode` for a value inside a validated subtree: keys are strings and integers fit, so plain containers and
    scalars come back as they are."""
    kind = type(data)
    if kind in _UNCHANGED or kind is int:
        return data
    if kind in _LISTS:
        return [_encode_valid(value) for value in data]
    if kind in _DICTS and DocumentCodec._MARKER not in data:
        return {key: _encode_valid(value) for key, value in data.items()}
    return _original_encode(data)


def install() -> None:
    """Routes every encode (including the original's own recursion) through the fast path; idempotent."""
    DocumentCodec.encode = staticmethod(encode)  # type: ignore[method-assign]


@contextmanager
def unpatched() -> Iterator[None]:
    """mongoeco's own encoder in place meanwhile, its recursion included (for comparisons; not thread-safe)."""
    installed = DocumentCodec.__dict__["encode"]
    DocumentCodec.encode = staticmethod(_original_encode)  # type: ignore[method-assign]
    try:
        yield
    finally:
        DocumentCodec.encode = installed  # type: ignore[method-assign]
