"""Preferences over REST, and quiet hours holding the messages people read (not webhooks) until they end."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from deploy.receiver import Receiver
from deploy.stack import Stack, free_port
from tests.integration.notify.support import (
    add_webhook,
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
