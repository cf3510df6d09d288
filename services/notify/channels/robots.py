"""WeCom (企业微信) and DingTalk group robots: markdown messages in each one's exact payload format.

WeCom:    `{"msgtype": "markdown", "markdown": {"content": ...}}` to the robot's webhook URL.
DingTalk: `{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}`, with `timestamp` (ms) and
          `sign` = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))) query parameters
          when the robot has a signing secret. Both answer HTTP 200 with `errcode` 0 on success.
"""

import base64
import hashlib
import hmac
import json
import time

from services.notify.channels import Outcome
from services.notify.channels.poster import Poster
from services.notify.messages import clipped, markdown

WECOM_MARKDOWN_BYTES = 4096  # WeCom refuses longer markdown content (errcode 40058), on every retry alike


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The signature before URL encoding (the poster encodes query parameters)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def wecom_payload(notification: dict) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": clipped(markdown(notification)[1], WECOM_MARKDOWN_BYTES)}}


def dingtalk_payload(notification: dict) -> dict:
    head, text = markdown(notification)
    return {"msgtype": "markdown", "markdown": {"title": head, "text": text}}


def _errcode_failure(outcome: Outcome) -> Outcome:
    """Both robots answer 200 even on failure; a non-zero `errcode` is a failed attempt."""
    if not outcome.ok:
        return outcome
    try:
        code = json.loads(outcome.body).get("errcode", 0)
    except (ValueError, AttributeError):
        return outcome
    return outcome if not code else Outcome(False, outcome.code, outcome.body, error=f"errcode {code}")


class WeComChannel:
    name = "wecom"

    def __init__(self, poster: Poster) -> None:
        self.poster = poster

    async def send(self, notification: dict, target: dict) -> Outcome:
        body = json.dumps(wecom_payload(notification), ensure_ascii=False).encode()
        outcome = await self.poster.post(target["url"], body, {"content-type": "application/json"})
        return _errcode_failure(outcome)


class DingTalkChannel:
    name = "dingtalk"

    def __init__(self, poster: Poster) -> None:
        self.poster = poster

    async def send(self, notification: dict, target: dict) -> Outcome:
        body = json.dumps(dingtalk_payload(notification), ensure_ascii=False).encode()
        params = None
        if target.get("secret"):
            timestamp = int(time.time() * 1000)
            params = {"timestamp": str(timestamp), "sign": dingtalk_sign(target["secret"], timestamp)}
        outcome = await self.poster.post(target["url"], body, {"content-type": "application/json"}, params=params)
        return _errcode_failure(outcome)
