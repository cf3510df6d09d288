"""`python -m deploy.listen` prints one line per webhook: what it is and whether its signature is genuine."""

import base64
import json
import socket
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from deploy.listen import describe
from deploy.receiver import Received, Receiver

SECRET = "whsec_" + base64.b64encode(b"a secret of thirty-two bytes!!!!").decode()
PAYLOAD = {"type": "match.proposed", "timestamp": "2026-12-05T03:00:00Z",
           "data": {"match_id": "6b13749c50c7", "need_id": "need_1", "counterpart_kind": "result", "score": 0.91}}


def signed(payload: dict, secret: str = SECRET) -> Received:
    body = json.dumps(payload).encode()
    now = datetime.now(UTC)
    headers = {"webhook-id": "ntf_1", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Webhook(secret).sign("ntf_1", now, body.decode())}
    return Received("/hooks", headers, body, 0.0)


def test_a_genuine_message_is_shown_verified_with_its_type_id_and_the_ids_in_its_data() -> None:
    line = describe(signed(PAYLOAD), SECRET)
    assert line.split()[1:] == ["match.proposed", "verified", "ntf_1", "match_id=6b13749c50c7", "need_id=need_1",
                                "score=0.91"]


def test_a_message_signed_with_another_secret_or_tampered_with_is_shown_not_verified() -> None:
    other = "whsec_" + base64.b64encode(b"another secret, thirty-two bytes").decode()
    assert "NOT VERIFIED" in describe(signed(PAYLOAD, other), SECRET)
    tampered = signed(PAYLOAD)
    tampered.body = tampered.body.replace(b"0.91", b"0.99")
    assert "NOT VERIFIED" in describe(tampered, SECRET)


def test_without_a_secret_nothing_is_checked_and_a_body_that_is_not_json_is_said_to_be_so() -> None:
    assert " unchecked " in describe(signed(PAYLOAD), None)
    assert describe(Received("/hooks", {}, b"<html>", 0.0), SECRET).endswith("/hooks: not JSON (6 bytes)")


async def test_a_port_already_in_use_is_an_error_from_start_not_the_end_of_the_process() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            await Receiver(taken.getsockname()[1]).start()


def test_a_message_for_another_endpoint_pointing_here_is_shown_unchecked_with_its_path() -> None:
    line = describe(signed(PAYLOAD), SECRET, path="/hooks/mine")
    assert " unchecked (sent to /hooks, another endpoint) " in line
    assert " verified " in describe(signed(PAYLOAD), SECRET, path="/hooks")
