"""How an envelope travels on Kafka: JSON value, the aggregate id as key, CloudEvents binding headers."""

from typing import Any

from pydantic import ValidationError

from services.contracts import json_text
from services.contracts.envelope import Envelope
from services.contracts.events import data_model_for


def encode(envelope: Envelope) -> bytes:
    return envelope.model_dump_json().encode()


CONTENT_TYPE = "application/cloudevents+json"


def record_headers(event_type: str, event_id: str) -> dict[str, str]:
    """Kafka record headers in the CloudEvents Kafka binding's spirit (the body stays structured JSON)."""
    return {"ce_type": event_type, "ce_id": event_id, "content-type": CONTENT_TYPE}


class InvalidEvent(ValueError):
    """A record that is not a valid envelope, or whose data fails its type's schema."""


def decode(body: bytes | str | dict[str, Any] | None) -> Envelope:
    """Parse and validate an envelope and its data; raises InvalidEvent with a readable reason, whatever the record
    holds: no value at all (a tombstone), or JSON nested deeper than the parser recurses, too."""
    if body is None:
        raise InvalidEvent("the record has no value")
    try:
        raw = body if isinstance(body, dict) else json_text.loads(body)
        envelope = Envelope.model_validate(raw)
        model = data_model_for(envelope.type)
        if model is not None:
            model.model_validate(envelope.data)
        return envelope
    except (ValueError, ValidationError, TypeError, RecursionError) as error:
        raise InvalidEvent(str(error)) from error
