"""What a caller sends that notify cannot use is refused with a 4xx saying why, before anything is stored: times of
day in other scripts' digits, time zones that are no zone, page cursors in other scripts' digits, dates that are
no date in UTC, lists of event types longer than there are types; and a message with nowhere to go is not
redelivered."""

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError

from services.notify.app import create_app
from services.notify.auth import Caller
from services.notify.endpoints import WebhookRecover, WebhookUpdate
from services.notify.event_types import MAX_CHOSEN
from services.notify.records import cursor_point
from services.notify.redeliveries import NoTarget
from services.notify.settings import Settings

ARABIC_INDIC_NINE, GARAY_ZERO = "\u0669", "\U00010d40"  # digits to a regex's \d; int() refuses the second


class AnyKey:
    async def caller(self, authorization: str | None) -> Caller:
        return Caller("org_a", "member")

    async def close(self) -> None:
        pass


class Nowhere:
    """Redeliveries whose every message has nowhere to go: its endpoint was deleted."""

    async def again(self, org_id: str, delivery_id: str) -> dict:
        raise NoTarget(404, "webhook endpoint ep_1, which the message was for, was deleted")


@pytest.fixture
async def notify() -> AsyncIterator[httpx.AsyncClient]:
    """Notify's API, not started: a request that reaches the database fails, so a 422 here stored nothing."""
    app = create_app(Settings(mongo_url="mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=100"))
    app.state.container.keys = AnyKey()
    app.state.container.redeliveries = Nowhere()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify") as client:
        yield client


@pytest.mark.parametrize("body", [
    {"digest": {"enabled": True, "at": f"0{ARABIC_INDIC_NINE}:00"}},
    {"quiet_hours": {"start": f"0{GARAY_ZERO}:00", "end": "08:00"}},
    {"quiet_hours": {"start": "22:00", "end": "24:00"}},
    {"time_zone": "Asia"},
    {"time_zone": "Europe/" + "x" * 300},
    {"event_types": ["match.proposed"] * 700_000},
])
async def test_preferences_notify_could_not_act_on_are_refused_with_a_422(notify: httpx.AsyncClient,
                                                                         body: dict) -> None:
    response = await notify.put("/v1/preferences", json=body)
    assert response.status_code == 422, response.text


async def test_a_webhook_endpoint_naming_more_event_types_than_there_are_is_refused(notify: httpx.AsyncClient) -> None:
    many = ["match.proposed"] * 700_000
    created = await notify.post("/v1/webhooks", json={"url": "https://hooks.example.com/x", "event_types": many})
    assert created.status_code == 422, created.text
    with pytest.raises(ValidationError, match=f"at most {MAX_CHOSEN} items"):
        WebhookUpdate.model_validate({"event_types": many})
    assert WebhookUpdate.model_validate({"event_types": ["match.proposed"] * 2}).event_types == ["match.proposed"]


@pytest.mark.parametrize("cursor", [f"{GARAY_ZERO}{GARAY_ZERO}_dlv_1", f"1{ARABIC_INDIC_NINE}_dlv_1", "12_",
                                    "99999999999999_dlv_1"])
@pytest.mark.parametrize("path", ["/v1/deliveries", "/v1/dead-letters"])
async def test_a_page_cursor_no_page_gave_is_refused_with_a_422(notify: httpx.AsyncClient, path: str,
                                                               cursor: str) -> None:
    response = await notify.get(path, params={"cursor": cursor})
    assert response.status_code == 422, response.text
    with pytest.raises(ValueError, match="not a page's next_cursor"):
        cursor_point(cursor)


@pytest.mark.parametrize("since", ["9999-12-31T23:00:00-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_recovery_since_a_time_that_is_no_date_in_utc_is_refused(since: str) -> None:
    with pytest.raises(ValidationError, match="outside the years 1 to 9999"):
        WebhookRecover.model_validate({"since": since})
    assert WebhookRecover.model_validate({"since": "9999-12-31T09:00:00+08:00"}).since.year == 9999


async def test_a_redelivery_with_nowhere_to_go_says_why(notify: httpx.AsyncClient) -> None:
    response = await notify.post("/v1/deliveries/dlv_1/retry")
    assert response.status_code == 404
    assert "was deleted" in response.json()["detail"]
