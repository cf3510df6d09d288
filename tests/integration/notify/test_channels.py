"""E-mail, WeCom and DingTalk channels against local servers: an aiosmtpd server with STARTTLS and login,
and local HTTP receivers that check each robot's exact payload (and DingTalk's signature)."""

import base64
import hashlib
import hmac
import json
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from deploy.stack import free_port
from services.notify.channels.email import EmailChannel
from services.notify.channels.poster import Poster
from services.notify.channels.robots import DingTalkChannel, WeComChannel
from services.notify.settings import Settings
from tests.integration.notify.support import HeaderReceiver

NOTIFICATION = {"_id": "ntf_channels_1", "org_id": "org_a", "type": "match.proposed",
                "created_at": datetime(2026, 3, 10, 1, 2, 3, tzinfo=UTC),
                "data": {"match_id": "mt_42", "score": 0.87, "need_id": "nd_7", "counterpart_id": "rs_9"}}
LOOPBACK = {"127.0.0.1"}


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802 - aiosmtpd's hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def check_login(server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"notify", b"s3cret")
    return AuthResult(success=ok)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    yield cert, key


@pytest.fixture
async def poster() -> AsyncIterator[Poster]:
    poster = Poster(LOOPBACK, 5.0)
    yield poster
    await poster.close()


@pytest.fixture
def smtp(certificate: tuple[Path, Path]) -> Iterator[tuple[Mailbox, int]]:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True,
                            authenticator=check_login, auth_required=True)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def channel(port: int, cert: Path, password: str = "s3cret", timeout: float = 10) -> EmailChannel:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=True, smtp_username="notify",
                        smtp_password=password, smtp_from="对接平台 <noreply@duijie.test>",
                        smtp_timeout_seconds=timeout)
    return EmailChannel(settings, ssl.create_default_context(cafile=str(cert)))


async def test_an_email_goes_over_starttls_with_login_in_chinese_with_text_and_html_parts(
        smtp: tuple[Mailbox, int], certificate: tuple[Path, Path]) -> None:
    mailbox, port = smtp
    outcome = await channel(port, certificate[0]).send(NOTIFICATION, {"address": "tto@hunau.test", "locale": "zh-CN"})
    assert outcome.ok, outcome.error
    ((sender, recipients, raw),) = mailbox.messages
    assert sender == "noreply@duijie.test" and recipients == ["tto@hunau.test"]
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "新的对接推荐" and message["Content-Language"] == "zh-CN"
    assert message["X-Duijie-Notification-Id"] == "ntf_channels_1"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "对接编号：mt_42" in text and "匹配度：0.87" in text
    assert '<html lang="zh-CN">' in html and "<td>mt_42</td>" in html


async def test_an_english_email_uses_the_english_template(smtp: tuple[Mailbox, int],
                                                          certificate: tuple[Path, Path]) -> None:
    mailbox, port = smtp
    assert (await channel(port, certificate[0]).send(NOTIFICATION, {"address": "a@b.test", "locale": "en"})).ok
    message = message_from_bytes(mailbox.messages[0][2], policy=policy.default)
    assert message["Subject"] == "New match proposed"
    assert "- match_id: mt_42" in message.get_body(("plain",)).get_content()


async def test_a_wrong_login_or_an_untrusted_certificate_is_a_failed_attempt(
        smtp: tuple[Mailbox, int], certificate: tuple[Path, Path]) -> None:
    mailbox, port = smtp
    wrong = await channel(port, certificate[0], password="nope", timeout=3).send(NOTIFICATION, {"address": "a@b.test"})
    assert not wrong.ok and wrong.error and mailbox.messages == []
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_username="notify", smtp_password="s3cret",
                        smtp_timeout_seconds=3)
    untrusted = await EmailChannel(settings).send(NOTIFICATION, {"address": "a@b.test"})
    assert not untrusted.ok and mailbox.messages == []


async def test_the_wecom_robot_gets_its_exact_markdown_payload(port: int, poster: Poster) -> None:
    receiver = await HeaderReceiver(port, [(200, {})]).start()
    try:
        url = f"{receiver.url}/cgi-bin/webhook/send?key=abc"
        assert (await WeComChannel(poster).send(NOTIFICATION, {"url": url})).ok
        (message,) = receiver.received
        assert message.path == "/cgi-bin/webhook/send?key=abc"
        assert message.json() == {"msgtype": "markdown", "markdown": {"content": (
            "### 新的对接推荐\n> match_id: mt_42\n> score: 0.87\n> need_id: nd_7\n> counterpart_id: rs_9\n"
            "> notification_id: ntf_channels_1")}}
    finally:
        await receiver.stop()


async def test_the_dingtalk_robot_gets_its_exact_payload_with_timestamp_and_signature(
        port: int, poster: Poster) -> None:
    receiver = await HeaderReceiver(port, [(200, {})]).start()
    secret = "SEC0123456789abcdef"
    try:
        target = {"url": f"{receiver.url}/robot/send?access_token=tok", "secret": secret}
        assert (await DingTalkChannel(poster).send(NOTIFICATION, target)).ok
        (message,) = receiver.received
        parts = urlsplit(message.path)
        query = parse_qs(parts.query)
        assert parts.path == "/robot/send" and query["access_token"] == ["tok"]
        timestamp = query["timestamp"][0]
        assert abs(int(timestamp) - datetime.now(UTC).timestamp() * 1000) < 60_000
        expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(),
                                             hashlib.sha256).digest()).decode()
        assert query["sign"] == [expected]
        assert json.loads(message.body) == {"msgtype": "markdown", "markdown": {"title": "新的对接推荐", "text": (
            "### 新的对接推荐\n> match_id: mt_42\n> score: 0.87\n> need_id: nd_7\n> counterpart_id: rs_9\n"
            "> notification_id: ntf_channels_1")}}
    finally:
        await receiver.stop()


async def test_a_robot_answering_200_with_a_nonzero_errcode_is_a_failed_attempt(port: int, poster: Poster) -> None:
    receiver = await HeaderReceiver(port, [(200, {})]).start()
    receiver.reply = b'{"errcode": 310000, "errmsg": "sign not match"}'
    try:
        outcome = await DingTalkChannel(poster).send(NOTIFICATION, {"url": f"{receiver.url}/r"})
        assert not outcome.ok and outcome.error == "errcode 310000"
    finally:
        await receiver.stop()


async def test_robot_urls_pass_the_ssrf_guard_before_anything_is_sent(port: int) -> None:
    receiver = await HeaderReceiver(port, []).start()
    try:
        guarded = Poster(set(), 5.0)
        outcome = await WeComChannel(guarded).send(NOTIFICATION, {"url": f"{receiver.url}/x"})
        await guarded.close()
        assert not outcome.ok and "allow-list" in (outcome.error or "") and receiver.received == []
    finally:
        await receiver.stop()
