"""Who hears about an event, and what robots and webhooks are sent."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from standardwebhooks.webhooks import Webhook

from services.contracts.envelope import Envelope
from services.notify.channels.robots import dingtalk_payload, dingtalk_sign, wecom_payload
from services.notify.channels.webhook import payload, signature, signing_secrets
from services.notify.messages import clipped
from services.notify.notifications import new, notification_id, recipients, seen_by, time_order
from services.notify.webhooks import new_secret


def event(type_: str, data: dict) -> Envelope:
    return Envelope(id="ev1", source="/t", type=type_, time=datetime.now(UTC), subject="s", data=data)


def test_a_match_concerns_both_sides_a_deal_its_parties_a_summit_event_its_participants() -> None:
    assert recipients(event("match.proposed", {"need_org_id": "b", "counterpart_org_id": "a"})) == ["a", "b"]
    assert recipients(event("deal.signed", {"parties": [{"org_id": "f"}, {"org_id": "u"}], "drafted_by": "f"})) \
        == ["f", "u"]
    assert recipients(event("meeting.requested", {"participant_org_ids": ["x", "y"], "org_id": "x"})) == ["x", "y"]
    assert recipients(event("followup.due", {"org_id": "x", "counterpart_org_id": "y"})) == ["x"]
    assert recipients(event("schedule.requested", {"org_id": "organiser"})) == []
    assert recipients(event("match.declined", {"org_id": "u", "need_org_id": "f", "counterpart_org_id": "u"})) \
        == ["f"], "feedback: the other side"
    assert recipients(event("match.accepted", {"org_id": "u", "match_id": "m"})) == [], "no parties: looked up"


SECRET_MATCH = {"match_id": "m", "need_org_id": "firm", "counterpart_org_id": "uni", "need_confidential": True}


def test_a_confidential_needs_owner_is_named_only_to_itself_until_both_sides_accepted() -> None:
    assert seen_by("match.proposed", SECRET_MATCH, "uni")["need_org_id"] is None
    assert seen_by("match.proposed", SECRET_MATCH, "firm") == SECRET_MATCH, "the owner reads its own match whole"
    assert seen_by("match.retracted", SECRET_MATCH, "uni")["need_org_id"] is None
    owners_answer = {**SECRET_MATCH, "org_id": "firm", "decision": "accepted", "mutual": False}
    told = seen_by("match.accepted", owners_answer, "uni")
    assert told["org_id"] is None and told["need_org_id"] is None and told["decision"] == "accepted"
    assert owners_answer["org_id"] == "firm", "the event itself is left as it was"
    assert seen_by("match.accepted", {**owners_answer, "mutual": True}, "uni") == {**owners_answer, "mutual": True}
    counterparts_answer = {**SECRET_MATCH, "org_id": "uni", "decision": "declined", "mutual": False}
    assert seen_by("match.declined", counterparts_answer, "firm") == counterparts_answer


def test_a_confidential_needs_financing_options_are_the_owners_alone() -> None:
    options = ["知识产权质押贷款准入条件满足: 高新技术企业、专利 137 件 ≥ 1"]
    proposed = {**SECRET_MATCH, "financing": options}
    assert seen_by("match.proposed", proposed, "uni")["financing"] == [], "the owner's facts would name it"
    assert seen_by("match.proposed", proposed, "firm")["financing"] == options
    assert seen_by("match.proposed", {**proposed, "need_confidential": False}, "uni")["financing"] == options


def test_a_public_needs_events_are_read_whole_by_both_sides() -> None:
    public = {**SECRET_MATCH, "need_confidential": False}
    assert seen_by("match.proposed", public, "uni") == public
    older = {k: v for k, v in SECRET_MATCH.items() if k != "need_confidential"}
    assert seen_by("match.proposed", older, "uni") == older, "events from before the flag: as they were"


def test_the_notification_id_is_derived_from_the_event_and_the_recipient() -> None:
    assert notification_id("ev1", "a") == notification_id("ev1", "a") != notification_id("ev1", "b")
    assert notification_id("ev1", "a").startswith("ntf_")


def test_a_matchs_notification_ids_grow_with_its_newer_posting_and_are_derived_again_the_same() -> None:
    earlier, later = (ObjectId.from_datetime(datetime(2026, 12, 4, h, tzinfo=UTC)) for h in (9, 10))
    match = {"need_id": f"nd_{later}", "counterpart_id": f"rs_{earlier}"}
    assert time_order(match) == str(later)[:8], "the newer posting's second: the one whose arrival made the match"
    assert time_order({"need_id": "nd_1", "match_id": "mt_1"}) == "", "no posting ids: no time order"
    seconds = (ObjectId.from_datetime(datetime(2026, 12, 4, 10, 0, n, tzinfo=UTC)) for n in (1, 2, 3))
    ids = [notification_id(f"ev{n}", "a", time_order({"need_id": f"nd_{at}"})) for n, at in enumerate(seconds)]
    assert ids == sorted(ids) and len({len(i) for i in ids}) == 1
    when = time_order(match)
    assert notification_id("ev1", "a", when) == notification_id("ev1", "a", when) != notification_id("ev1", "b", when)


NOTIFICATION = {"_id": "ntf_1", "org_id": "a", "type": "match.proposed", "created_at": datetime(2026, 1, 1, tzinfo=UTC),
                "data": {"match_id": "mt_1", "score": 0.82, "need_id": "nd_1", "counterpart_id": "rs_1"}}


def test_the_webhook_payload_is_type_timestamp_and_data() -> None:
    assert payload(NOTIFICATION) == {"type": "match.proposed", "timestamp": "2026-01-01T00:00:00+00:00",
                                     "data": {**NOTIFICATION["data"], "notification_id": "ntf_1"}}


def test_a_notification_is_timed_as_the_database_keeps_it_so_every_attempt_sends_the_same_timestamp() -> None:
    fresh = new("org_a", "match.proposed", "mt_1", {}, "ev_1", None, 1)
    assert fresh["created_at"].microsecond % 1000 == 0, "BSON dates hold milliseconds"


def test_during_a_rotation_both_secrets_sign_and_either_verifies() -> None:
    now = datetime.now(UTC)
    old, new = new_secret(), new_secret()
    endpoint = {"secret": new, "previous_secret": old, "previous_secret_until": now + timedelta(hours=1)}
    assert signing_secrets(endpoint, now) == [new, old]
    body = '{"type":"match.proposed"}'
    header = signature(signing_secrets(endpoint, now), "msg_1", now, body)
    assert len(header.split(" ")) == 2
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": header}
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers) == {"type": "match.proposed"}
    assert signing_secrets(endpoint, now + timedelta(hours=2)) == [new], "after the overlap only the new one"


def test_wecom_and_dingtalk_markdown_payloads() -> None:
    wecom = wecom_payload(NOTIFICATION)
    assert list(wecom) == ["msgtype", "markdown"] and wecom["msgtype"] == "markdown"
    assert list(wecom["markdown"]) == ["content"] and wecom["markdown"]["content"].startswith("### 新的对接推荐")
    assert "> match_id: mt_1" in wecom["markdown"]["content"]
    ding = dingtalk_payload(NOTIFICATION)
    assert ding["msgtype"] == "markdown" and list(ding["markdown"]) == ["title", "text"]
    assert ding["markdown"]["title"] == "新的对接推荐" and "> score: 0.82" in ding["markdown"]["text"]


def test_a_long_fact_is_cut_and_a_wecom_message_stays_within_its_4096_bytes() -> None:
    warning = {**NOTIFICATION, "type": "webhook.disabled",
               "data": {"endpoint_id": "ep_1", "url": "https://hooks.example.cn/" + "钩" * 1990,
                        "reason": "接收端返回 410 Gone，" * 300, "event_type": "match.proposed"}}
    content = wecom_payload(warning)["markdown"]["content"]
    assert len(content.encode()) <= 4096 and content.endswith("…") is False, "facts are cut, not the message"
    assert "> endpoint_id: ep_1" in content and f"> notification_id: {NOTIFICATION['_id']}" in content
    text = dingtalk_payload(warning)["markdown"]["text"]
    url_line = next(line for line in text.splitlines() if line.startswith("> url: "))
    assert len(url_line) == len("> url: ") + 200 and url_line.endswith("钩…")
    assert clipped("对接" * 3000, 4096).encode() == ("对接" * 682 + "…").encode(), "cut at a character's end"
    assert clipped("短", 4096) == "短"


def test_the_dingtalk_signature_is_base64_hmac_sha256_of_timestamp_newline_secret() -> None:
    secret, timestamp = "SECabc123", 1700000000000
    expected = base64.b64encode(hmac.new(b"SECabc123", b"1700000000000\nSECabc123", hashlib.sha256).digest()).decode()
    assert dingtalk_sign(secret, timestamp) == expected
