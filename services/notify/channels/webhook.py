"""Webhooks per Standard Webhooks 1.0: `webhook-id` (the notification id), `webhook-timestamp`, and
`webhook-signature` with one `v1,<sig>` per secret (two during a rotation's overlap)."""

from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from services.contracts import json_text
from services.notify.channels import Outcome
from services.notify.channels.poster import Poster


def payload(notification: dict) -> dict:
    """The Standard Webhooks payload: `{type, timestamp, data}`."""
    return {"type": notification["type"], "timestamp": notification["created_at"].isoformat(),
            "data": {**notification["data"], "notification_id": notification["_id"]}}


def signing_secrets(endpoint: dict, now: datetime) -> list[str]:
    """The current secret, plus the previous one while the rotation's overlap lasts."""
    secrets = [endpoint["secret"]]
    until = endpoint.get("previous_secret_until")
    if endpoint.get("previous_secret") and until is not None:
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        if until > now:
            secrets.append(endpoint["previous_secret"])
    return secrets


def signature(secrets: list[str], message_id: str, at: datetime, body: str) -> str:
    return " ".join(Webhook(s).sign(message_id, at, body) for s in secrets)


class WebhookChannel:
    name = "webhook"

    def __init__(self, poster: Poster) -> None:
        self.poster = poster

    async def send(self, notification: dict, target: dict) -> Outcome:
        content = json_text.dumps(payload(notification), default=str)
        at = datetime.now(UTC)
        headers = {"content-type": "application/json", "webhook-id": notification["_id"],
                   "webhook-timestamp": str(int(at.timestamp())),
                   "webhook-signature": signature(signing_secrets(target, at), notification["_id"], at,
                                                  content.decode())}
        return await self.poster.post(target["url"], content, headers)
