"""The SSRF guard for webhook and robot URLs.

A URL must be https unless its host is on the allow-list (`DUIJIE_WEBHOOK_ALLOW_HOSTS`, used for loopback in
local development and tests). Its host must resolve only to public addresses: private, loopback, link-local,
multicast, reserved and unspecified addresses are refused unless the host is allow-listed.

The check is made again before every delivery, and the request then goes to the very address that was checked,
so a DNS answer that changes between the check and the connection (DNS rebinding) cannot redirect it: the URL's
host is replaced by the checked IP, the original host travels in the `Host` header, and for https the original
host is also the TLS server name, which is what the certificate is verified against (see channels/poster.py).
Redirects are never followed (3xx is a failed attempt).

A host name written in other scripts (an internationalised domain name, common for Chinese organisations) is turned
into its ASCII form once, by UTS #46 as browsers do (`faß.de` is `xn--fa-hia.de`, not `fass.de`), and that one form
is what the allow-list, DNS, the TLS server name and the `Host` header all see.
"""

import asyncio
import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(ValueError):
    """The URL fails the guard; the message says why (shown to the caller with a 422)."""


@dataclass(frozen=True)
class Pinned:
    """A URL checked and resolved once: send to `url` (host replaced by the checked IP) with these headers."""

    original: str
    host: str
    ip: str
    url: str
    host_header: str
    tls: bool
    port: int
    target: str  # the path and query, as the request line carries them


def refused_address(ip: IPAddress) -> str | None:
    """Why an address may not be reached, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for test, what in ((ip.is_loopback, "loopback"), (ip.is_link_local, "link-local"),
                       (ip.is_multicast, "multicast"), (ip.is_unspecified, "unspecified"),
                       (ip.is_reserved, "reserved"), (ip.is_private, "private"),
                       (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "site-local")):
        if test:
            return what
    if not ip.is_global:
        return "not globally routable"
    return None


def ascii_host(parts: SplitResult) -> str:
    """The URL's host in lower case, a non-ASCII name in its ASCII (punycode) form; brackets of IPv6 removed."""
    host = (parts.hostname or "").lower()
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as error:
        raise UrlRefused(f"the host {host!r} is not a valid domain name: {error}") from error


def check_form(url: str, allow_hosts: set[str]) -> SplitResult:
    """The checks that need no DNS: scheme, host present, no credentials in the URL."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as error:
        raise UrlRefused(f"not a valid URL: {error}") from error
    host = ascii_host(parts)
    if parts.scheme not in ("http", "https"):
        raise UrlRefused(f"scheme {parts.scheme!r} is not allowed: use https")
    if not host:
        raise UrlRefused("the URL has no host")
    if parts.username or parts.password:
        raise UrlRefused("credentials in the URL are not allowed")
    if parts.scheme != "https" and host not in allow_hosts:
        raise UrlRefused(f"{host} is not on the allow-list, so the URL must use https")
    return parts


AddressInfo = list[tuple]  # socket.getaddrinfo's answer


class Lookups:
    """Host name lookups on threads of their own, at most one at a time per name: the POSTs that ask for a name
    while it is being looked up share that lookup. A lookup cannot be cancelled, so a name whose DNS never answers
    used to hold a thread of the event loop's default pool per POST to it, until all its threads were held and
    every other endpoint's lookup timed out (a failed attempt each, enough to open their circuit breakers). Now
    such a name holds one thread of `threads`; the others go on resolving."""

    def __init__(self, threads: int = 16) -> None:
        self._threads = ThreadPoolExecutor(threads, thread_name_prefix="dns")
        self._flights: dict[tuple[str, int], asyncio.Future[AddressInfo]] = {}

    async def getaddrinfo(self, host: str, port: int) -> AddressInfo:
        loop = asyncio.get_running_loop()
        key = (host, port)
        flight = self._flights.get(key)
        if flight is None or flight.get_loop() is not loop:
            flight = loop.run_in_executor(self._threads, socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
            self._flights[key] = flight
            flight.add_done_callback(lambda done: self._landed(key, done))
        return await asyncio.shield(flight)  # a caller's timeout leaves the shared lookup running

    def _landed(self, key: tuple[str, int], flight: asyncio.Future[AddressInfo]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)


async def resolve(host: str, port: int, timeout: float = 5.0, lookups: Lookups | None = None) -> list[IPAddress]:
    """The host's addresses; with `lookups`, on its threads (see `Lookups`), else on the event loop's own."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    lookup = lookups.getaddrinfo(host, port) if lookups else asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM)
    try:
        infos = await asyncio.wait_for(lookup, timeout)
    except (OSError, TimeoutError, UnicodeError) as error:  # UnicodeError: an empty or over-long label
        raise UrlRefused(f"{host} cannot be resolved ({error or 'timeout'})") from error
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UrlRefused(f"{host} has no address")
    return addresses


async def pin(url: str, allow_hosts: set[str], lookups: Lookups | None = None) -> Pinned:
    """Checks the URL and resolves its host once; every address must pass, the first one is used."""
    parts = check_form(url, allow_hosts)
    host = ascii_host(parts)
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    addresses = await resolve(host, port, lookups=lookups)
    if host not in allow_hosts:
        for address in addresses:
            why = refused_address(address)
            if why:
                raise UrlRefused(f"{host} resolves to {address}, a {why} address; only public addresses are allowed")
    ip = addresses[0]
    netloc_ip = f"[{ip}]" if ip.version == 6 else str(ip)
    if parts.port:
        netloc_ip += f":{parts.port}"
    host_header = f"[{host}]" if ":" in host else host
    if parts.port:
        host_header += f":{parts.port}"
    pinned = urlunsplit((parts.scheme, netloc_ip, parts.path or "/", parts.query, ""))
    target = f"{parts.path or '/'}?{parts.query}" if parts.query else parts.path or "/"
    return Pinned(url, host, str(ip), pinned, host_header, tls, port, target)
