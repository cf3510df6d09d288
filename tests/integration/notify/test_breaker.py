"""A circuit breaker per endpoint: after consecutive failures an endpoint's messages wait out a cool-down instead of
spending attempts on it; other endpoints' messages go on as before."""

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from services.notify.channels import Outcome
from services.notify.db import Database
from services.notify.deliveries import Dispatcher
from services.notify.settings import Settings

pytestmark = pytest.mark.integration
DOWN, UP = "ep_down", "ep_up"


class OneEndpointDown:
    """A webhook channel whose receiver at DOWN fails every attempt; every other one answers 200."""
    name = "webhook"

    def __init__(self) -> None:
        self.sent_to: list[str] = []

    async def send(self, notification: dict, target: dict) -> Outcome:
        self.sent_to.append(target["_id"])
        return Outcome(False, 500, "down") if target["_id"] == DOWN else Outcome(True, 200, "ok")


async def _nothing(*_: dict) -> None:
    return None


def held_by_breaker() -> float:
    return REGISTRY.get_sample_value("notify_attempts_held_by_breaker_total", {"channel": "webhook"}) or 0.0


async def test_an_endpoint_failing_again_and_again_is_left_to_cool_down_while_the_others_are_sent_to(
        db: Database) -> None:
    channel = OneEndpointDown()
    settings = Settings(breaker_failures=2, breaker_cooldown_seconds=600, retry_multiplier=1.0)
    dispatcher = Dispatcher(db, settings, {"webhook": channel}, load_target=_nothing, on_dead=_nothing,
                            on_gone=_nothing)

    async def attempt(name: str, endpoint_id: str) -> dict:
        notification = {"_id": f"ntf_{name}", "org_id": "org_breaker", "type": "match.proposed", "seq": 1,
                        "created_at": datetime.now(UTC)}
        await db["notifications"].insert_one(notification)
        dispatch = dispatcher.new_dispatch(notification, "webhook", endpoint_id, "sending", datetime.now(UTC))
        await db["dispatches"].insert_one(dispatch)
        await dispatcher.attempt(dispatch, notification, {"_id": endpoint_id})
        return await db["dispatches"].find_one({"_id": dispatch["_id"]})

    try:
        before = held_by_breaker()
        for name in ("first", "second"):
            failed = await attempt(name, DOWN)
            assert (failed["status"], failed["attempts"]) == ("pending", 1), "on its retry schedule"
        held = await attempt("third", DOWN)
        assert channel.sent_to == [DOWN, DOWN], "no attempt is spent on an endpoint whose breaker is open"
        assert (held["status"], held["attempts"]) == ("pending", 0), "the message waits; it is not lost"
        assert held["next_attempt_at"] > datetime.now(UTC) + timedelta(seconds=590), "until the cool-down ends"
        assert held_by_breaker() - before == 1, "counted for operators on /metrics"

        other = await attempt("elsewhere", UP)
        assert channel.sent_to[-1] == UP and other["status"] == "delivered", "another endpoint is not held"
    finally:
        await dispatcher.stop()
