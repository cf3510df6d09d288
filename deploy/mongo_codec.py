"""A faster path through mongoeco's document codec for plain JSON-shaped values.

mongoeco's `DocumentCodec.encode` turns a document into its stored form. For a dict it first validates the
whole subtree (keys are strings, integers fit in 64 bits, no sets), then encodes each value, which validates
that value's subtree again: a document nested three deep is validated three times, and every scalar runs
through some thirty type checks before it comes back unchanged. Encoding was over half of the embedded
server's time per insert of a match notification.

The fast path validates a plain document once, as the original does first, then returns exact `dict` and
`list` containers, `str`, `bool`, `None`, `float` and `int` as they are, which is what the original answers for
them. Anything else (datetimes, ObjectIds, bytes, subclasses such as SON, tagged-looking dicts) goes to the
original, which encodes it or raises its own error.

Two more steps every written document goes through get the same treatment: the validation itself (which built a
numeric wrapper object for every scalar only to discard it) and the conversion of a request's decoded BSON into
mongoeco's own types (a dozen type tests per scalar before returning most of them unchanged). In a bench of
notification inserts these three were about a quarter of the server's time per document. The engine's immutable
copy of each written document (`to_internal`, an encode and a decode of the whole document) was a further tenth.
`tests/unit/deploy/test_mongo_codec.py` compares each fast path with the original on seeded random documents.

A document the fast `to_internal` made was validated whole as it was made, and the engine's copies are immutable:
when the engine then encodes it to store it, its subtree is not validated a second time (`ValidatedDocument`).
`to_internal` checks a document while it copies it, instead of walking it once to check it and once to copy it:
counted with callgrind (the server alone, 800 documents in batches of 16), 1.19 million instructions per
notification before, 1.11 million after; 0.90 and 0.84 million per match. A datetime (every notification and
match has two or three) no longer takes the original's round trip through its stored form, whose result is the
same datetime in UTC to the millisecond: 0.98 million per notification, 0.77 million per match. A request's
decoded containers are converted where they are instead of being rebuilt (`decode_wire`): 0.94 million per
notification.
"""

import copy
import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import mongoeco.api._async.collection as async_collection
import mongoeco.core.codec as codec_module
import mongoeco.wire.bson_bridge as bson_bridge
import mongoeco.wire.protocol as wire_protocol
from mongoeco.core.bson_scalars import (
    INT64_MAX,
    INT64_MIN,
    BsonDecimal128,
    BsonScalarOverflowError,
    _normalize_decimal128,
    normalize_utc_bson_datetime,
    wrap_bson_numeric,
)
from mongoeco.core.codec import DocumentCodec, _InternalBsonArray, _InternalBsonDocument
from mongoeco.core.json_compat import json_dumps_compact

from deploy.mongo_json import dumps_finite

_original_encode = DocumentCodec.encode
_original_to_internal = DocumentCodec.to_internal
_original_validate = codec_module.validate_bson_value
_original_decode_wire = bson_bridge.decode_wire_value
_UNCHANGED = (str, bool, float, type(None))


class ValidatedDocument(_InternalBsonDocument):
    """An engine copy that the fast `to_internal` made from a document it had validated whole: immutable, so still
    valid when it is encoded. `special` names its fields that hold anything but plain JSON values and containers
    (a datetime, say): the others are stored as they are (see `serializer`). `finite` says that every float in it
    is finite, so its text can be written without looking for NaN again (`deploy/mongo_json.py`)."""

    __slots__ = ("finite", "special")

    def __init__(self, fields: dict[str, Any], special: tuple[str, ...] | None = None, finite: bool = False) -> None:
        super().__init__(fields)
        object.__setattr__(self, "special", special)  # None: not known, so every field is encoded
        object.__setattr__(self, "finite", finite)  # every float in it is finite (False: not known)


_DICTS = (dict, _InternalBsonDocument, ValidatedDocument)  # the engine's immutable copies are encoded like plain ones
_LISTS = (list, _InternalBsonArray)


def encode(data: Any) -> Any:
    """What `DocumentCodec.encode` answers. A plain dict's subtree is validated once, as the original validates it
    first (so the same error comes first), and its values are then encoded without validating them again; a
    `ValidatedDocument`'s subtree is not validated again at all."""
    kind = type(data)
    if kind is ValidatedDocument:
        return {key: _encode_valid(value) for key, value in data.items()}
    if kind in _DICTS and DocumentCodec._MARKER not in data:
        validate(data)
        return {key: _encode_valid(value) for key, value in data.items()}
    if kind in _LISTS:
        return [encode(value) for value in data]
    if kind in _UNCHANGED or (kind is int and INT64_MIN <= data <= INT64_MAX):
        return data
    if kind is datetime.datetime:
        return _encoded_datetime(data)
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
    if kind is datetime.datetime:
        return _encoded_datetime(data)
    return _original_encode(data)


def _encoded_datetime(data: datetime.datetime) -> dict:
    """The original's stored form of a datetime (any datetime is a valid BSON value): UTC, without a time zone,
    to the millisecond, tagged."""
    return DocumentCodec._tagged_value("datetime", normalize_utc_bson_datetime(data).isoformat())


def validate(value: Any) -> None:
    """`validate_bson_value`, in the same order with the same errors, without building a numeric wrapper for every
    plain string, number, boolean and null (which the original does only to throw it away): an exact `int` has its
    range checked, as the wrapper would, and everything else takes the original's own steps."""
    pending = [value]
    while pending:
        current = pending.pop()
        kind = type(current)
        if kind in _UNCHANGED:
            continue
        if kind is int:
            if current < INT64_MIN or current > INT64_MAX:
                raise BsonScalarOverflowError("integer exceeds BSON int64 range")
            continue
        if isinstance(current, dict):
            for key in current:
                if not isinstance(key, str):
                    raise TypeError("BSON document keys must be strings")
            pending.extend(current.values())
            continue
        if isinstance(current, (list, tuple)):
            pending.extend(current)
            continue
        if isinstance(current, (set, frozenset)):
            raise TypeError("set values are not BSON-serializable")
        wrapped = wrap_bson_numeric(current)
        if isinstance(wrapped, BsonDecimal128):
            _normalize_decimal128(wrapped.value)


def to_internal(data: Any) -> Any:
    """What `DocumentCodec.to_internal` answers: the original encodes a document to its stored form, decodes that
    back and wraps every container in the engine's immutable types. For a plain dict whose subtree is valid, the
    round trip returns strings, exact integers, floats, booleans and nulls unchanged, so only its containers are
    wrapped; any other value (a datetime, an ObjectId) takes the original's round trip on its own. The subtree is
    checked as it is copied, in one walk; when the walk meets something invalid, `validate` walks the document as
    the original does first, so that the same error is raised."""
    if type(data) is dict and DocumentCodec._MARKER not in data:
        fields, special, seen = {}, [], _maybe_nonfinite[0]
        try:
            for key, value in data.items():
                if not isinstance(key, str):
                    raise TypeError("BSON document keys must be strings")
                before = _handed_over[0]
                fields[key] = _internal_checked(value)
                if _handed_over[0] != before:
                    special.append(key)
        except Exception:
            validate(data)  # the original's first error
            raise
        return ValidatedDocument(fields, tuple(special), finite=_maybe_nonfinite[0] == seen)
    return _original_to_internal(data)


_handed_over = [0]  # values `_internal_checked` has handed to the original, ever (tells `to_internal` which fields)
_maybe_nonfinite = [0]  # NaNs, infinities and unexamined containers `_internal_checked` has met, ever


def _internal_checked(data: Any) -> Any:
    """The engine's copy of a value inside a plain document, checked as `validate` checks it: plain containers
    wrapped, plain scalars as they are, anything else converted (and checked) by the original."""
    kind = type(data)
    if kind is float:
        if data - data != 0.0:  # NaN and ±Infinity give NaN
            _maybe_nonfinite[0] += 1
        return data
    if kind in _UNCHANGED:
        return data
    if kind is int:
        if data < INT64_MIN or data > INT64_MAX:
            raise BsonScalarOverflowError("integer exceeds BSON int64 range")
        return data
    if kind is dict and DocumentCodec._MARKER not in data:
        for key in data:
            if not isinstance(key, str):
                raise TypeError("BSON document keys must be strings")
        return _InternalBsonDocument({key: _internal_checked(value) for key, value in data.items()})
    if kind is list:
        return _InternalBsonArray(_internal_checked(value) for value in data)
    _handed_over[0] += 1
    if kind is datetime.datetime:  # what the original's round trip through the stored form gives
        return normalize_utc_bson_datetime(data)
    if isinstance(data, dict | list | tuple) or (isinstance(data, float) and data - data != 0.0):
        _maybe_nonfinite[0] += 1  # a container the original copies (SON, a tuple) is not looked into here
    return _original_to_internal(data)


def serializer(serialize: Callable[[Any], str]) -> Callable[[Any], str]:
    """The engine's `_serialize_document` (its encoding, as JSON text), for a `ValidatedDocument` without encoding
    its plain fields first: the encoder returns plain values and containers as they are (rebuilding the containers),
    and the JSON encoder writes the engine's immutable containers as it writes plain ones. The text is the same;
    encoding was over a tenth of the server's time per inserted notification."""

    def serialized(document: Any) -> str:
        if type(document) is not ValidatedDocument or document.special is None:
            return serialize(document)
        special = document.special
        stored = {key: encode(value) if key in special else value for key, value in document.items()} if special \
            else document
        return dumps_finite(stored) if document.finite else json_dumps_compact(stored)

    return serialized


_PLAIN_SCALARS = (str, int, float, bool, type(None), datetime.datetime)


def _rebuilt(value: Any, other: Callable[[Any], Any]) -> Any:
    """Exact dicts and lists rebuilt, plain scalars returned as they are, anything else handed to `other`."""
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return value
    if kind is dict:
        return {key: _rebuilt(item, other) for key, item in value.items()}
    if kind is list:
        return [_rebuilt(item, other) for item in value]
    return other(value)


def decode_wire(value: Any) -> Any:
    """What mongoeco's `decode_wire_value` answers for a value decoded from a request's BSON: strings, exact
    integers, floats, booleans, nulls and datetimes as they are (the original tests each against a dozen BSON types
    first), everything else converted by the original. Its plain containers are the request's own, decoded for it
    alone (`decode_wire_value` is given nothing else), so they are converted where they are instead of being
    rebuilt."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(item) not in _PLAIN_SCALARS and (converted := decode_wire(item)) is not item:
                value[key] = converted  # (replacing a key's value while iterating is allowed)
        return value
    if kind is list:
        for index, item in enumerate(value):
            if type(item) not in _PLAIN_SCALARS and (converted := decode_wire(item)) is not item:
                value[index] = converted
        return value
    if kind in _PLAIN_SCALARS:
        return value
    return _original_decode_wire(value)


def plain_copy(value: Any) -> Any:
    """A deep copy of a request's document for mongoeco's collection methods, which copy what they are given
    before converting it: exact dicts and lists are rebuilt and immutable scalars shared, as `copy.deepcopy` does
    for them; anything else is deep-copied. Unlike `deepcopy` it keeps no memo, so two references to one list
    become two lists, which no decoded BSON document has."""
    return _rebuilt(value, copy.deepcopy)


def install() -> None:
    """Routes every encode, validation and request decoding (including the originals' own recursion) through the
    fast paths; idempotent."""
    DocumentCodec.encode = staticmethod(encode)  # type: ignore[method-assign]
    DocumentCodec.to_internal = staticmethod(to_internal)  # type: ignore[method-assign]
    codec_module.validate_bson_value = validate
    bson_bridge.decode_wire_value = decode_wire
    wire_protocol.decode_wire_value = decode_wire
    async_collection.deepcopy = plain_copy


@contextmanager
def unpatched() -> Iterator[None]:
    """mongoeco's own encoder, validation and request decoding in place meanwhile, their recursion included (for
    comparisons; not thread-safe)."""
    installed = (DocumentCodec.__dict__["encode"], DocumentCodec.__dict__["to_internal"],
                 codec_module.validate_bson_value, bson_bridge.decode_wire_value, wire_protocol.decode_wire_value)
    DocumentCodec.encode = staticmethod(_original_encode)  # type: ignore[method-assign]
    DocumentCodec.to_internal = staticmethod(_original_to_internal)  # type: ignore[method-assign]
    codec_module.validate_bson_value = _original_validate
    bson_bridge.decode_wire_value = wire_protocol.decode_wire_value = _original_decode_wire
    try:
        yield
    finally:
        (DocumentCodec.encode, DocumentCodec.to_internal, codec_module.validate_bson_value,  # type: ignore[method-assign]
         bson_bridge.decode_wire_value, wire_protocol.decode_wire_value) = installed
