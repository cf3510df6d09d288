"""The only code Duijie's services share: the event envelope, every event's payload schema, and topic names."""

from services.contracts import deals as _deals  # noqa: F401 - registers the deal event types
from services.contracts import summits as _summits  # noqa: F401 - registers the summit event types
from services.contracts.envelope import Envelope, new_event
from services.contracts.events import EVENT_TYPES, data_model_for

__all__ = ["EVENT_TYPES", "Envelope", "data_model_for", "new_event"]
