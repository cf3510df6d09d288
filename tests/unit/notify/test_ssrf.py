"""The SSRF guard: https only (except allow-listed hosts), public addresses only, the checked address is used."""

import ipaddress
import socket
import threading
from urllib.parse import urlsplit

import pytest

from services.notify.ssrf import Lookups, UrlRefused, ascii_host, check_form, pin, refused_address, resolve


@pytest.mark.parametrize(("url", "why"), [
    ("http://hooks.example.com/x", "must use https"),
    ("ftp://hooks.example.com/x", "scheme 'ftp' is not allowed"),
    ("https:///nohost", "no host"),
    ("https://user:pw@hooks.example.com/x", "credentials"),
    ("https://hooks.example.com:99999/x", "not a valid URL"),
])
def test_malformed_or_plain_http_urls_are_refused_with_the_reason(url: str, why: str) -> None:
    with pytest.raises(UrlRefused, match=why):
        check_form(url, set())


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.1", "private"),
    ("172.16.5.5", "private"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"), ("0.0.0.0", "unspecified"), ("240.0.0.1", "reserved"),
    ("::ffff:127.0.0.1", "loopback"), ("100.64.0.1", "not globally routable"), ("fec0::1", "site-local"),
])
def test_internal_addresses_are_refused(address: str, kind: str) -> None:
    assert refused_address(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert refused_address(ipaddress.ip_address(address)) is None


async def test_a_literal_internal_address_is_refused_even_over_https() -> None:
    with pytest.raises(UrlRefused, match=r"169\.254\.169\.254, a link-local address"):
        await pin("https://169.254.169.254/latest/meta-data", set())


async def test_a_name_resolving_to_loopback_is_refused_unless_allow_listed() -> None:
    with pytest.raises(UrlRefused, match="loopback"):
        await pin("https://localhost:8443/hooks", set())
    pinned = await pin("http://localhost:8443/hooks?x=1", {"localhost"})
    assert pinned.ip in ("127.0.0.1", "::1")
    assert pinned.host_header == "localhost:8443"
    assert pinned.url in ("http://127.0.0.1:8443/hooks?x=1", "http://[::1]:8443/hooks?x=1")


async def test_the_request_goes_to_the_checked_ip_with_the_host_kept_for_host_header_and_tls() -> None:
    pinned = await pin("https://8.8.8.8/hooks", set())
    assert (pinned.url, pinned.host_header, pinned.host, pinned.tls) == \
        ("https://8.8.8.8/hooks", "8.8.8.8", "8.8.8.8", True)
    v6 = await pin("https://[2606:4700:4700::1111]:8443/h", set())
    assert v6.url == "https://[2606:4700:4700::1111]:8443/h" and v6.host_header == "[2606:4700:4700::1111]:8443"


async def test_a_host_name_in_another_script_is_used_in_its_one_ascii_form_everywhere() -> None:
    # Full-width letters and a soft hyphen: UTS #46 maps them to "localhost", the name the allow-list,
    # DNS, TLS and the Host header then all see.
    pinned = await pin("http://\uff4c\uff4f\uff43\uff41\uff4c\u00ad\uff48\uff4f\uff53\uff54:8443/h", {"localhost"})
    assert (pinned.host, pinned.host_header) == ("localhost", "localhost:8443")
    assert pinned.ip in ("127.0.0.1", "::1")
    # As browsers read them: "faß.de" is a domain of its own, not "fass.de".
    assert ascii_host(urlsplit("https://fa\u00df.de/hooks")) == "xn--fa-hia.de"
    assert ascii_host(urlsplit("https://\u6d4b\u8bd5.\u4e2d\u56fd/hooks")) == "xn--0zwm56d.xn--fiqs8s"


@pytest.mark.parametrize("url", ["https://a..b.example.com/h", f"https://{'a' * 64}.example.com/h",
                                 "https://\u6d4b\u8bd5..\u4e2d\u56fd/h"])
async def test_a_host_that_is_no_valid_domain_name_is_refused_not_an_error(url: str) -> None:
    with pytest.raises(UrlRefused):
        await pin(url, set())


async def test_a_name_whose_dns_never_answers_holds_one_lookup_thread_and_other_names_still_resolve(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real, stuck, asked = socket.getaddrinfo, threading.Event(), []

    def getaddrinfo(host: str, *args: object, **kwargs: object) -> list:
        asked.append(host)
        if host == "stuck.example.com":
            stuck.wait(10)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    lookups = Lookups(threads=2)
    try:
        for _ in range(5):  # five POSTs to the name, one after another, each giving up after its timeout
            with pytest.raises(UrlRefused, match="cannot be resolved"):
                await resolve("stuck.example.com", 443, timeout=0.05, lookups=lookups)
        assert asked.count("stuck.example.com") == 1, "they share the one lookup under way"
        assert ipaddress.ip_address("127.0.0.1") in await resolve("localhost", 443, timeout=2.0, lookups=lookups)
    finally:
        stuck.set()
        lookups.close()
