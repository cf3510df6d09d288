"""A circuit breaker per endpoint: after consecutive failures an endpoint's messages wait out a cool-down instead of
spending attempts on it; other endpoints' messages go on as before, other organisations' robots too. A robot that
answers 410 Gone has no endpoint to disable: its message stays on the retry schedule."""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from services.notify.channels import Outcome
from services.notify.db import Database
from services.notify.settings import Settings
from tests.integration.notify.support import bare_dispatcher

pytestmark = pytest.mark.integration
DOWN, UP = "ep_down", "ep_up"
BROKEN_ROBOT, GONE_ROBOT = "https://robot.example/broken", "https://robot.example/gone"


class Receivers:
    """A channel whose receivers fail as told: DOWN and BROKEN_ROBOT answer 500, GONE_ROBOT 410, the rest 200."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent_to: list[str] = []

    async def send(self, notification: dict, target: dict) -> Outcome:
        address = target.get("url", target["_id"])
        self.sent_to.append(address)
        if address in (DOWN, BROKEN_ROBOT):
            return Outcome(False, 500, "down")
        if address == GONE_ROBOT:
            return Outcome(False, 410, "gone", gone=True)
        return Outcome(True, 200, "ok")


def held_by_breaker(channel: str) -> float:
    return REGISTRY.get_sample_value("notify_attempts_held_by_breaker_total", {"channel": channel}) or 0.0


Attempt = Callable[..., Awaitable[dict]]


@pytest.fixture
async def channels() -> dict[str, Receivers]:
    return {"webhook": Receivers("webhook"), "wecom": Receivers("wecom")}


@pytest.fixture
async def attempt(db: Database, channels: dict[str, Receivers]) -> AsyncIterator[Attempt]:
    """One attempt of a new message to `target` on `channel`, for `org_id`; answers its dispatch afterwards."""
    settings = Settings(breaker_failures=2, breaker_cooldown_seconds=600, retry_multiplier=1.0)
    dispatcher = bare_dispatcher(db, channels, settings)

    async def one(name: str, target: dict, channel: str = "webhook", org_id: str = "org_breaker") -> dict:
        notification = {"_id": f"ntf_{name}", "org_id": org_id, "type": "match.proposed", "seq": 1,
                        "created_at": datetime.now(UTC)}
        await db["notifications"].insert_one(notification)
        dispatch = dispatcher.new_dispatch(notification, channel, target["_id"], "sending", datetime.now(UTC))
        await db["dispatches"].insert_one(dispatch)
        await dispatcher.attempt(dispatch, notification, target)
        return await db["dispatches"].find_one({"_id": dispatch["_id"]})

    yield one
    await dispatcher.stop()


async def test_an_endpoint_failing_again_and_again_is_left_to_cool_down_while_the_others_are_sent_to(
        attempt: Attempt, channels: dict[str, Receivers]) -> None:
    webhook = channels["webhook"]
    before = held_by_breaker("webhook")
    for name in ("first", "second"):
        failed = await attempt(name, {"_id": DOWN})
        assert (failed["status"], failed["attempts"]) == ("pending", 1), "on its retry schedule"
    held = await attempt("third", {"_id": DOWN})
    assert webhook.sent_to == [DOWN, DOWN], "no attempt is spent on an endpoint whose breaker is open"
    assert (held["status"], held["attempts"]) == ("pending", 0), "the message waits; it is not lost"
    assert held["next_attempt_at"] > datetime.now(UTC) + timedelta(seconds=590), "until the cool-down ends"
    assert held_by_breaker("webhook") - before == 1, "counted for operators on /metrics"

    other = await attempt("elsewhere", {"_id": UP})
    assert webhook.sent_to[-1] == UP and other["status"] == "delivered", "another endpoint is not held"


async def test_one_organisations_broken_robot_holds_up_no_other_organisations_robot(
        attempt: Attempt, channels: dict[str, Receivers]) -> None:
    # Every organisation's WeCom robot has the target id "wecom": the breaker must still be the organisation's own.
    wecom = channels["wecom"]
    broken, working = ({"_id": "wecom", "url": url} for url in (BROKEN_ROBOT, "https://robot.example/working"))
    for name in ("robot_first", "robot_second", "robot_third"):
        await attempt(name, broken, channel="wecom", org_id="org_broken_robot")
    assert wecom.sent_to == [BROKEN_ROBOT, BROKEN_ROBOT], "the broken robot's breaker opened"

    sent = await attempt("robot_elsewhere", working, channel="wecom", org_id="org_working_robot")
    assert sent["status"] == "delivered" and wecom.sent_to[-1] == working["url"]


async def test_a_robot_answering_410_keeps_its_message_on_the_retry_schedule(attempt: Attempt) -> None:
    dispatch = await attempt("robot_gone", {"_id": "wecom", "url": GONE_ROBOT}, channel="wecom",
                             org_id="org_gone_robot")
    assert (dispatch["status"], dispatch["attempts"]) == ("pending", 1), "retried, and dead-lettered in the end"
