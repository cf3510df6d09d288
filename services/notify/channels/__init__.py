"""Channels behind one small interface: `send(notification, target) -> Outcome`.

A target is the channel-specific address: a webhook endpoint document, an e-mail address with its locale, a
robot's URL and secret. Channels do I/O and report what happened; retries, records and dead letters are the
dispatcher's business.
"""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outcome:
    ok: bool
    code: int | None = None
    body: str = ""
    error: str | None = None
    retry_after: float | None = None
    gone: bool = False  # the receiver said 410 Gone: a webhook endpoint is disabled (a robot retries)


class Channel(Protocol):
    name: str

    async def send(self, notification: dict, target: dict) -> Outcome: ...
