"""What quiet hours never hold, what a channel needs before it can be switched on, and when the digest is due and
what it sums up."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.notify.digest import due_date, window
from services.notify.event_types import DIGEST_TYPE
from services.notify.fanout import Plan
from services.notify.preferences import Preferences

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = datetime(2026, 3, 10, 23, 0, tzinfo=SHANGHAI)


def test_warnings_about_the_organisations_own_channels_are_never_held_nor_filtered_out() -> None:
    prefs = Preferences.model_validate({"quiet_hours": {"start": "22:00", "end": "08:00"},
                                        "event_types": ["match.proposed"]})
    assert prefs.release_at(NIGHT, "match.proposed") == datetime(2026, 3, 11, 8, 0, tzinfo=SHANGHAI)
    for warning in ("webhook.dead_lettered", "wecom.dead_lettered", "webhook.disabled"):
        assert prefs.release_at(NIGHT, warning) is None
        assert prefs.wants(warning)


def test_quiet_hours_hold_the_channels_people_read_not_webhooks() -> None:
    plan = Plan(targets=[], release_at=NIGHT, streamed=True)
    assert [c for c in ("webhook", "email", "wecom", "dingtalk") if plan.held(c)] == ["email", "wecom", "dingtalk"]
    assert not Plan(targets=[], release_at=None, streamed=True).held("email")


@pytest.mark.parametrize(("body", "why"), [
    ({"channels": {"email": {"enabled": True}}}, "e-mail is enabled but has no address"),
    ({"channels": {"email": {"enabled": True, "address": "a@b.c", "locale": "fr"}}}, "String should match"),
    ({"channels": {"dingtalk": {"enabled": True}}}, "the robot is enabled but has no url"),
    ({"channels": {"wecom": {"enabled": True, "url": ""}}}, "the robot is enabled but has no url"),
])
def test_a_channel_switched_on_without_its_address_is_refused_with_the_reason(body: dict, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        Preferences.model_validate(body)


def test_the_stream_is_on_by_default_and_can_be_switched_off() -> None:
    assert Preferences().channels.sse
    assert not Preferences.model_validate({"channels": {"sse": False}}).channels.sse


def test_the_digest_is_due_once_its_local_time_has_passed_that_day() -> None:
    prefs = Preferences.model_validate({"digest": {"enabled": True, "at": "09:00"}})
    assert due_date(prefs, datetime(2026, 3, 10, 8, 59, tzinfo=SHANGHAI).astimezone(UTC)) is None
    assert due_date(prefs, datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)) == "2026-03-10"
    assert due_date(prefs, datetime(2026, 3, 10, 2, 0, tzinfo=UTC)) == "2026-03-10", "10:00 in Shanghai"


def test_a_digest_sums_up_the_local_day_since_the_one_before_across_a_clock_change() -> None:
    prefs = Preferences.model_validate({"digest": {"enabled": True, "at": "09:00"}, "time_zone": "Europe/Berlin"})
    since, until = window(prefs, "2026-03-29")  # clocks go forward at 02:00 that night: a local day of 23 hours
    assert (since, until) == (datetime(2026, 3, 28, 8, 0, tzinfo=UTC), datetime(2026, 3, 29, 7, 0, tzinfo=UTC))
    assert window(prefs, "2026-03-30")[0] == until, "each notification is in one digest"


def test_an_organisation_that_chose_its_event_types_still_gets_the_digest_it_switched_on() -> None:
    chosen = {"event_types": ["deal.signed"], "digest": {"enabled": True}}
    assert Preferences.model_validate(chosen).wants(DIGEST_TYPE)
    assert not Preferences.model_validate({**chosen, "digest": {"enabled": False}}).wants(DIGEST_TYPE)
    assert not Preferences.model_validate(chosen).wants("match.proposed")
