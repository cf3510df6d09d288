"""A CloudEvents 1.0 envelope (structured JSON mode) around every event Duijie publishes."""

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes plus the payload in `data`.

    `subject` is the aggregate id (a need's, a match's, ...) and is also the Kafka record key, so all
    events of one aggregate land on one partition and stay in order.
    """

    model_config = ConfigDict(extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, description="Unique per event; consumers de-duplicate on it.")
    source: str = Field(min_length=1, description="The producing service, e.g. `/duijie/registry`.")
    type: str = Field(min_length=1, description="Event type, e.g. `need.posted`; see EVENT_TYPES.")
    time: datetime
    subject: str = Field(min_length=1, description="Aggregate id; the Kafka record key.")
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]

    def key(self) -> bytes:
        return self.subject.encode()


def deterministic_id(*parts: object) -> str:
    """An id derived from its parts, so re-deriving it on a replay gives the same id."""
    raw = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def new_event(
    type_: str, subject: str, data: BaseModel | dict[str, Any], source: str, event_id: str | None = None
) -> Envelope:
    """Build an envelope; `data` is validated against the event type's model when one is registered.

    An instance of that model was validated when it was built, so it is only dumped, not validated again.
    """
    from services.contracts.events import data_model_for

    model = data_model_for(type_)
    if isinstance(data, BaseModel) and (model is None or type(data) is model):
        payload = data.model_dump(mode="json")
    elif model is not None:
        raw = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
        payload = model.model_validate(raw).model_dump(mode="json")
    else:
        payload = data
    return Envelope(
        id=event_id or uuid.uuid4().hex,
        source=source,
        type=type_,
        time=datetime.now(UTC),
        subject=subject,
        data=payload,
    )
