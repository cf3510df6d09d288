"""Channels behind one small interface: `send(notification, target) -> Outcome`.

A target is the channel-specific address: a webhook endpoint document, an e-mail address with its locale, a
robot's URL and secret. Channels do I/O and report what happened; retries, records and dead letters are the
dispatcher's business.
"""

from dataclasses import dataclass
from typing import Protocol

import httpx

from services.notify.retry import parse_retry_after
from services.notify.ssrf import UrlRefused, pin


@dataclass(frozen=True)
class Outcome:
    ok: bool
    code: int | None = None
    body: str = ""
    error: str | None = None
    retry_after: float | None = None
    gone: bool = False  # the target said 410 Gone: disable it


class Channel(Protocol):
    name: str

    async def send(self, notification: dict, target: dict) -> Outcome: ...


async def post_pinned(client: httpx.AsyncClient, url: str, allow_hosts: set[str], content: bytes,
                      headers: dict[str, str], params: dict[str, str] | None = None) -> Outcome:
    """POST through the SSRF guard to the checked address; 2xx succeeds, 3xx is a failure and never followed."""
    try:
        pinned = await pin(url, allow_hosts)
    except UrlRefused as refused:
        return Outcome(False, error=f"refused: {refused}")
    try:
        target = httpx.URL(pinned.url)
        if params:  # added to the URL's own query (httpx's `params=` would replace it)
            target = target.copy_merge_params(params)
        response = await client.post(target, content=content,
                                     headers={**headers, "host": pinned.host_header},
                                     extensions=pinned.extensions())
    except httpx.HTTPError as error:
        return Outcome(False, error=f"{type(error).__name__}: {error}"[:500])
    code = response.status_code
    retry_after = parse_retry_after(response.headers.get("retry-after")) if code in (429, 503) else None
    return Outcome(200 <= code < 300, code, response.text[:500], retry_after=retry_after, gone=code == 410)
