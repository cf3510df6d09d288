"""HTTP POSTs for webhooks and robots: through the SSRF guard, to the address it checked, on pooled connections.

Every POST checks its URL and resolves the host again (`ssrf.pin`), then connects to that very address: the
URL's host is the checked IP, the `Host` header carries the original host, and for https the original host is
the TLS server name the certificate is verified against. The connection pool is keyed by address, port, TLS
context and server name, so a kept-alive connection is only ever reused for the same checked address and name.
Redirects are never followed (3xx is a failed attempt); a receiver's answer is read up to `BODY_LIMIT` bytes,
uncompressed if it came compressed anyway (robots answer success or failure in the body).

The client is a small one of our own (`channels/http1.py`): a request written in one piece and the answer parsed
by httptools. Webhook POSTs are notify's largest cost (some eight per posting in the pipeline bench): 4,000 POSTs
on loopback to a uvicorn receiver took 0.061 ms of the sender's CPU each against 0.157 through aiohttp (and 0.052
against 0.080 ms of the receiver's, which read one segment instead of two). httpx took 1.6 ms.
"""

import asyncio
import ssl
from urllib.parse import quote, urlencode

from services.notify.channels import Outcome
from services.notify.channels.http1 import Pool, decoded, request_bytes
from services.notify.retry import parse_retry_after
from services.notify.ssrf import Lookups, UrlRefused, pin

BODY_LIMIT = 64 * 1024  # bytes of an answer read (the delivery record keeps 500 characters of it)
USER_AGENT = "Duijie-Notify/1"
# An idle kept-alive connection is dropped after 4 s, before the receiver drops it: uvicorn and Node.js close idle
# connections after 5 s, aiohttp kept them 15 s, and a POST sent on a connection the receiver is closing fails
# (the connection closes before an answer) and waits for the next retry, 5 s later. On loopback, against a server
# closing idle connections after 1 s, POSTs 0.97–1.03 s apart: 3 of 100 failed with aiohttp's 15 s, none of 100
# with 0.8 s.
KEEPALIVE_SECONDS = 4.0
URL_SAFE = "!#$%&'()*+,/:;=?@[]~"  # reserved characters and existing %-escapes are left as they are


class Poster:
    """One pooled HTTP client for the channels that POST. `ssl_context` None trusts the system's certificate
    authorities; `allow_hosts` is the SSRF guard's allow-list.

    One receiving host (the host name its URLs name, whatever addresses it resolves to and on any port) holds at
    most `per_receiver` of the `max_connections`: a receiver that never answers otherwise took every connection
    within its timeout, and every other endpoint's and robot's POSTs waited for one (measured: 1.7 s for another
    receiver behind 20 stuck POSTs on a pool of 8). Its POSTs beyond its share wait for one of its own connections,
    within the same timeout, and fail as attempts do."""

    def __init__(self, allow_hosts: set[str], timeout_seconds: float, ssl_context: ssl.SSLContext | None = None,
                 max_connections: int = 200, per_receiver: int = 32) -> None:
        self.allow_hosts, self.timeout_seconds = allow_hosts, timeout_seconds
        self.ssl_context, self.max_connections, self.per_receiver = ssl_context, max_connections, per_receiver
        self._pool: Pool | None = None
        self._trust: ssl.SSLContext | None = None
        self._lookups = Lookups()

    def _connections(self) -> Pool:
        """Made on first use, inside the running event loop."""
        if self._pool is None:
            self._pool = Pool(self.max_connections, self.per_receiver, KEEPALIVE_SECONDS, BODY_LIMIT)
        return self._pool

    async def post(self, url: str, content: bytes, headers: dict[str, str],
                   params: dict[str, str] | None = None) -> Outcome:
        """POSTs `content`; 2xx succeeds, anything else (and any transport error) is a failed attempt."""
        try:
            pinned = await pin(url, self.allow_hosts, self._lookups)
        except UrlRefused as refused:
            return Outcome(False, error=f"refused: {refused}")
        # Sent as given, with only what may not appear in a request line percent-encoded (a path in Chinese, a space)
        target = quote(pinned.target, safe=URL_SAFE)
        if params:  # added to the URL's own query
            target += ("&" if "?" in target else "?") + urlencode(params)
        context = (self.ssl_context or self._system_trust()) if pinned.tls else None
        head = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **headers}
        try:
            request = request_bytes(target, pinned.host_header, head, content)
            async with asyncio.timeout(self.timeout_seconds):
                answer = await self._connections().post((pinned.ip, pinned.port, context, pinned.host), request)
        except (TimeoutError, OSError, ValueError) as error:
            detail = str(error) or f"no answer within {self.timeout_seconds:g} s"
            return Outcome(False, error=f"{type(error).__name__}: {detail}"[:500])
        code = answer.status
        retry_after = parse_retry_after(answer.headers.get("retry-after")) if code in (429, 503) else None
        text = decoded(answer, BODY_LIMIT).decode("utf-8", errors="replace")
        return Outcome(200 <= code < 300, code, text[:500], retry_after=retry_after, gone=code == 410)

    def _system_trust(self) -> ssl.SSLContext:
        if self._trust is None:
            self._trust = ssl.create_default_context()
        return self._trust

    async def close(self) -> None:
        self._lookups.close()
        if self._pool is not None:
            self._pool.close()
            await asyncio.sleep(0)  # lets the transports close before the loop does

