"""Preferences over REST; webhooks switched off, or event types not chosen, sending no webhook while the notification
is still kept; and quiet hours holding the messages people read (not webhooks) until they end."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from deploy.receiver import Receiver
from deploy.stack import Stack, free_port
from services.contracts.envelope import Envelope
from services.notify.notifications import notification_id
from tests.integration.notify.support import (
    add_webhook,
    get,
    match_event,
    publish,
    put_preferences,
    two_orgs,
)
from tests.support.api import bearer

pytestmark = pytest.mark.integration

async def test_preferences_are_read_and_replaced_and_bad_ones_refused_with_the_reason(
        stack: Stack, http: httpx.AsyncClient) -> None:
    firm, _ = await two_orgs(http, stack, "偏好")
    url, auth = f"{stack.url('notify')}/v1/preferences", bearer(firm["api_key"])
    default = (await http.get(url, headers=auth)).json()
    assert default["channels"]["webhook"] and default["channels"]["sse"] and default["time_zone"] == "Asia/Shanghai"
    assert default["quiet_hours"] is None and default["digest"]["enabled"] is False

    wanted = {"channels": {"webhook": False, "sse": True,
                           "email": {"enabled": True, "address": "tto@example.com", "locale": "en"}},
              "event_types": ["match.proposed"], "quiet_hours": {"start": "22:00", "end": "07:30"},
              "time_zone": "Europe/Berlin", "digest": {"enabled": True, "at": "08:15"}}
    assert (await put_preferences(http, stack, firm["api_key"], wanted)).status_code == 200
    stored = (await http.get(url, headers=auth)).json()
    assert stored["channels"]["email"] == wanted["channels"]["email"] and not stored["channels"]["webhook"]
    assert (stored["event_types"], stored["quiet_hours"], stored["time_zone"], stored["digest"]) == \
        (wanted["event_types"], wanted["quiet_hours"], wanted["time_zone"], wanted["digest"])

    refused = await put_preferences(http, stack, firm["api_key"], {"channels": {"wecom": {
        "enabled": True, "url": "https://10.0.0.7/cgi-bin/webhook/send?key=k"}}})
    assert refused.status_code == 422 and "private address" in refused.text
    assert (await put_preferences(http, stack, firm["api_key"], {"time_zone": "Mars/Olympus"})).status_code == 422
    typo = await put_preferences(http, stack, firm["api_key"], {"event_types": ["match.proposed", "match.propsed"]})
    assert typo.status_code == 422 and typo.json()["detail"][0]["loc"] == ["body", "event_types"]
    assert "match.propsed" in typo.text and "match.proposed," not in typo.text, "the unknown one is named"
    assert (await http.get(url)).status_code == 401


async def test_webhooks_switched_off_or_an_event_type_not_chosen_send_no_webhook_but_keep_the_notification(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, university = await two_orgs(http, stack, "渠道开关")
    receiver = await Receiver(port).start()
    try:
        await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/firm")
        await add_webhook(http, stack, university["api_key"], f"{receiver.url}/university")

        async def sent(event: Envelope) -> set[str]:
            """Publishes a match between the two; once the university (default preferences) has its webhook, the
            firm's would have come with it (both are told in one batch): the paths that received this event."""
            await publish(stack, event)
            ids = {notification_id(event.id, org["id"]) for org in (firm, university)}
            told = len(receiver.received) + 1
            await receiver.wait_for(told, within=20)
            await receiver.wait_for(told + 1, within=1.0)
            return {r.path for r in receiver.received if r.headers["webhook-id"] in ids}

        off = {"channels": {"webhook": False}}
        assert (await put_preferences(http, stack, firm["api_key"], off)).status_code == 200
        switched_off = match_event(firm["id"], university["id"])
        assert await sent(switched_off) == {"/university"}, "no webhook with webhooks off"

        other_types = {"event_types": ["deal.signed", "meeting.requested"]}
        assert (await put_preferences(http, stack, firm["api_key"], other_types)).status_code == 200
        not_chosen = match_event(firm["id"], university["id"])
        assert await sent(not_chosen) == {"/university"}, "no webhook for a type not chosen"

        assert (await put_preferences(http, stack, firm["api_key"], {})).status_code == 200
        back_on = match_event(firm["id"], university["id"])
        assert await sent(back_on) == {"/firm", "/university"}
        firms = [r for r in receiver.received if r.path == "/firm"]
        assert [r.headers["webhook-id"] for r in firms] == [notification_id(back_on.id, firm["id"])], \
            "what was not wanted then is not sent now"

        kept = {n["id"] for n in await get(http, stack, firm["api_key"], "/v1/notifications")}
        assert {notification_id(e.id, firm["id"]) for e in (switched_off, not_chosen, back_on)} <= kept, \
            "the firm's notifications are all kept (and streamed): only the webhooks were not wanted"
    finally:
        await receiver.stop()


def quiet_now() -> dict:
    """Quiet hours from an hour ago to an hour from now, Shanghai time."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    return {"start": (now - timedelta(hours=1)).strftime("%H:%M"), "end": (now + timedelta(hours=1)).strftime("%H:%M")}


async def test_quiet_hours_hold_robot_messages_until_they_end_while_webhooks_go_at_once(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, university = await two_orgs(http, stack, "免打扰")
    robot = await Receiver(port).start()
    machine = await Receiver(free_port()).start()
    try:
        channels = {"wecom": {"enabled": True, "url": f"{robot.url}/cgi-bin/webhook/send?key=k"}}
        assert (await put_preferences(http, stack, firm["api_key"],
                                      {"channels": channels, "quiet_hours": quiet_now()})).status_code == 200
        await add_webhook(http, stack, firm["api_key"], f"{machine.url}/hooks")
        await publish(stack, match_event(firm["id"], university["id"]))
        await machine.wait_for(1, within=20)
        await robot.wait_for(1, within=2.0)
        assert robot.received == [], "held while the quiet hours last"

        started = datetime.now(UTC)
        assert (await put_preferences(http, stack, firm["api_key"], {"channels": channels})).status_code == 200
        (message,) = await robot.wait_for(1, within=10)
        assert message.json()["markdown"]["content"].startswith("### 新的对接推荐")
        assert datetime.now(UTC) - started < timedelta(seconds=10)
        await robot.wait_for(2, within=1.5)
        assert len(robot.received) == 1 and len(machine.received) == 1
    finally:
        await robot.stop()
        await machine.stop()


async def test_the_event_types_that_can_be_chosen_are_listed_with_their_titles(http: httpx.AsyncClient,
                                                                              stack: Stack) -> None:
    url = f"{stack.url('notify')}/v1/event-types"
    chinese, english = (await http.get(url)).json(), (await http.get(url, params={"locale": "en"})).json()
    assert {"type": "match.proposed", "title": "新的对接推荐"} in chinese
    assert {"type": "match.proposed", "title": "New match proposed"} in english
    listed = {item["type"] for item in english}
    assert {"deal.signed", "meeting.requested", "webhook.dead_lettered", "webhook.test"} <= listed
    assert not listed & {"need.posted", "summit.created"}, "events notify never tells of are not offered"
