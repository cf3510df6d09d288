"""The event types notify tells organisations of: what a webhook endpoint's or the preferences' `event_types` may
name. A name outside them (a typo) would match nothing and silently filter out every message, so it is refused; a
list longer than there are types repeats one, and is refused too (before it is stored: it could outgrow a document)."""

from typing import Annotated

from pydantic import AfterValidator, Field

from services.contracts import EVENT_TYPES
from services.notify.notifications import SILENT_TYPES

# The aggregates whose events reach notify on its topics (`handlers.NOTIFYING_TOPICS`).
NOTIFIED_AGGREGATES = ("match", "meeting", "participant", "schedule", "summit", "followup", "deal")
CHANNELS = ("webhook", "email", "wecom", "dingtalk")
TEST_TYPE = "webhook.test"  # a webhook endpoint's test message
DISABLED_TYPE = "webhook.disabled"  # an endpoint disabled after its receiver answered 410 Gone
DIGEST_TYPE = "digest.daily"
DEAD_LETTERED_SUFFIX = ".dead_lettered"


def dead_lettered(channel: str) -> str:
    """A message given up on after its last attempt on `channel`, told to the owner on its other channels."""
    return channel + DEAD_LETTERED_SUFFIX


def known() -> list[str]:
    from_events = (t for t in EVENT_TYPES if t.split(".")[0] in NOTIFIED_AGGREGATES and t not in SILENT_TYPES)
    return sorted({*from_events, TEST_TYPE, DISABLED_TYPE, DIGEST_TYPE, *map(dead_lettered, CHANNELS)})


def unknown(event_types: list[str]) -> str | None:
    """Why `event_types` cannot filter notifications, or None when every one is known."""
    strangers = sorted(set(event_types) - set(known()))
    if not strangers:
        return None
    return f"unknown event type(s): {', '.join(strangers)} (GET /v1/event-types lists them)"


MAX_CHOSEN = len(known())  # a list naming more repeats one
NAME_LENGTH = 100  # longer than any event type's name


def once_each(event_types: list[str]) -> list[str]:
    """`event_types` with each named once, in the order first named."""
    return list(dict.fromkeys(event_types))


# An `event_types` as a request gives it: at most MAX_CHOSEN short names, each kept once (`unknown` says if any is
# no event type).
EventTypeList = Annotated[list[Annotated[str, Field(max_length=NAME_LENGTH)]], Field(max_length=MAX_CHOSEN),
                          AfterValidator(once_each)]
