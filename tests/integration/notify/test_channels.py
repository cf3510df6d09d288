"""E-mail, WeCom and DingTalk channels against local servers: an aiosmtpd server with STARTTLS and login (the
`smtp` fixture), and local HTTP receivers that check each robot's exact payload (and DingTalk's signature)."""

import base64
import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from services.notify.channels.email import EmailChannel
from services.notify.channels.poster import Poster
from services.notify.channels.robots import DingTalkChannel, WeComChannel
from services.notify.settings import Settings
from tests.integration.notify.support import HeaderReceiver, Mailbox, email_channel

NOTIFICATION = {"_id": "ntf_channels_1", "org_id": "org_a", "type": "match.proposed",
                "created_at": datetime(2026, 3, 10, 1, 2, 3, tzinfo=UTC),
                "data": {"match_id": "mt_42", "score": 0.87, "need_id": "nd_7", "counterpart_id": "rs_9"}}
LOOPBACK = {"127.0.0.1"}
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # CJK ideographs and punctuation


@pytest.fixture
async def poster() -> AsyncIterator[Poster]:
    poster = Poster(LOOPBACK, 5.0)
    yield poster
    await poster.close()


async def test_an_email_goes_over_starttls_with_login_in_chinese_with_text_and_html_parts(
        smtp: tuple[Mailbox, int], certificate: tuple[Path, Path]) -> None:
    mailbox, port = smtp
    to = {"address": "tto@hunau.test", "locale": "zh-CN"}
    outcome = await email_channel(port, certificate[0]).send(NOTIFICATION, to)
    assert outcome.ok, outcome.error
    ((sender, recipients, raw),) = mailbox.messages
    assert sender == "noreply@duijie.test" and recipients == ["tto@hunau.test"]
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "新的对接推荐" and message["Content-Language"] == "zh-CN"
    assert message["X-Duijie-Notification-Id"] == "ntf_channels_1"
    assert message["Message-ID"] and abs((message["Date"].datetime - datetime.now(UTC)).total_seconds()) < 60
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "对接编号：mt_42" in text and "匹配度：0.87" in text
    assert '<html lang="zh-CN">' in html and "<td>mt_42</td>" in html


async def test_an_english_email_uses_the_english_template(smtp: tuple[Mailbox, int],
                                                          certificate: tuple[Path, Path]) -> None:
    mailbox, port = smtp
    assert (await email_channel(port, certificate[0]).send(NOTIFICATION, {"address": "a@b.test", "locale": "en"})).ok
    message = message_from_bytes(mailbox.messages[0][2], policy=policy.default)
    assert message["Subject"] == "New match proposed" and message["Content-Language"] == "en"
    assert "- match_id: mt_42" in message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert '<html lang="en">' in html and "<h2>New match proposed</h2>" in html
    assert "<p>Hello, Duijie has a new notification for you:</p>" in html
    assert '<th align="left">match_id</th><td>mt_42</td>' in html
    assert not CHINESE.search(html), "nothing of the Chinese template"


async def test_a_wrong_login_or_an_untrusted_certificate_is_a_failed_attempt(
        smtp: tuple[Mailbox, int], certificate: tuple[Path, Path]) -> None:
    mailbox, port = smtp
    to = {"address": "a@b.test"}
    wrong = await email_channel(port, certificate[0], password="nope", timeout=3).send(NOTIFICATION, to)
    assert not wrong.ok and wrong.error and mailbox.messages == []
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_username="notify", smtp_password="s3cret",
                        smtp_timeout_seconds=3)
    untrusted = await EmailChannel(settings).send(NOTIFICATION, to)
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
