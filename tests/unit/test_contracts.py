"""The event contracts: CloudEvents envelope, one model per event type, exported JSON Schemas kept current."""

import json

import pytest

from services.contracts import topics
from services.contracts.envelope import deterministic_id, new_event
from services.contracts.events import EVENT_TYPES
from services.contracts.schema_export import SCHEMA_DIR, render, schemas
from services.contracts.wire import InvalidEvent, decode, encode


def need_data(**overrides: object) -> dict:
    return {"id": "need_1", "org_id": "org_1", "version": 1, "status": "open", "title": "水稻育种", **overrides}


def test_an_envelope_carries_the_cloudevents_attributes_and_survives_the_wire() -> None:
    event = new_event("need.posted", "need_1", need_data(), source="/duijie/registry")
    raw = json.loads(encode(event))
    assert {"id", "source", "type", "time", "subject", "specversion", "datacontenttype", "data"} <= raw.keys()
    assert raw["specversion"] == "1.0" and raw["datacontenttype"] == "application/json"
    assert decode(encode(event)) == event
    assert event.key() == b"need_1"


def test_event_data_is_validated_against_its_type() -> None:
    with pytest.raises(ValueError):
        new_event("need.posted", "need_1", need_data(version=0), source="/test")
    bad = json.loads(encode(new_event("need.posted", "need_1", need_data(), source="/t")))
    bad["data"]["version"] = "not a number"
    with pytest.raises(InvalidEvent, match="version"):
        decode(json.dumps(bad))


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b'{"id": "x"}', None, b"[" * 100_000 + b"]" * 100_000],
                         ids=["empty", "text", "list", "no-envelope", "tombstone", "nested-deeper-than-python"])
def test_garbage_is_an_invalid_event(raw: bytes | None) -> None:
    """Whatever a record holds (a null value too, or JSON nested deeper than Python recurses), it is an invalid
    event, which the lane dead-letters; any other error would break off its batch, fetched again forever."""
    with pytest.raises(InvalidEvent):
        decode(raw)  # type: ignore[arg-type]


def test_deterministic_ids_depend_only_on_their_parts() -> None:
    assert deterministic_id("a", 1) == deterministic_id("a", 1)
    assert deterministic_id("a", 1) != deterministic_id("a", 2)


def test_every_event_type_has_an_exported_schema_that_is_current() -> None:
    current = schemas()
    assert set(EVENT_TYPES) <= set(current)
    files = {name: SCHEMA_DIR / f"{name}.json" for name in current}
    stale = [name for name, schema in current.items()
             if not files[name].exists() or files[name].read_text() != render(schema)]
    assert not stale, f"run `python -m services.contracts.schema_export`; stale: {stale}"


def test_topics_are_versioned_per_aggregate_with_a_dlq_beside_each() -> None:
    assert all(t.endswith(".v1") for t in topics.ALL)
    assert len(set(topics.ALL)) == len(topics.ALL)
    assert topics.dlq(topics.NEEDS) == "registry.needs.v1.dlq"
    assert topics.named(topics.NEEDS, "staging.") == "staging.registry.needs.v1"
