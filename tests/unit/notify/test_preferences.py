"""Preferences: which channels and event types, quiet hours in the organisation's time zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.notify.preferences import Preferences, quiet_until

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0) -> datetime:
    """A moment given in Shanghai local time."""
    return datetime(2026, 3, 10, hour, minute, tzinfo=SHANGHAI)


def test_quiet_hours_over_midnight_hold_until_the_morning() -> None:
    assert quiet_until(at(23, 30), "22:00", "08:00", SHANGHAI) == datetime(2026, 3, 11, 8, 0, tzinfo=SHANGHAI)
    assert quiet_until(at(6, 59), "22:00", "08:00", SHANGHAI) == datetime(2026, 3, 10, 8, 0, tzinfo=SHANGHAI)
    assert quiet_until(at(8, 0), "22:00", "08:00", SHANGHAI) is None
    assert quiet_until(at(12, 0), "22:00", "08:00", SHANGHAI) is None


def test_quiet_hours_within_a_day_and_the_result_is_utc() -> None:
    released = quiet_until(at(12, 30), "12:00", "14:00", SHANGHAI)
    assert released == datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
    assert released is not None and released.tzinfo == UTC
    assert quiet_until(at(14, 0), "12:00", "14:00", SHANGHAI) is None


def test_the_time_zone_defaults_to_shanghai_and_decides_what_now_means() -> None:
    prefs = Preferences.model_validate({"quiet_hours": {"start": "22:00", "end": "08:00"}})
    assert prefs.time_zone == "Asia/Shanghai"
    utc_afternoon = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    assert prefs.release_at(utc_afternoon) == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)
    in_london = prefs.model_copy(update={"time_zone": "Europe/London"})
    assert in_london.release_at(utc_afternoon) is None


def test_event_types_filter_but_warnings_about_dead_letters_always_pass() -> None:
    prefs = Preferences(event_types=["match.proposed"])
    assert prefs.wants("match.proposed") and not prefs.wants("deal.signed")
    assert prefs.wants("webhook.dead_lettered")
    assert Preferences().wants("anything.at_all")


def test_only_enabled_channels_with_an_address_are_targets() -> None:
    prefs = Preferences.model_validate({"channels": {
        "email": {"enabled": True, "address": "tto@example.edu.cn", "locale": "en"},
        "wecom": {"enabled": False, "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
        "dingtalk": {"enabled": False, "url": "https://oapi.dingtalk.com/robot/send?access_token=t"}}})
    assert prefs.targets() == {"email": {"_id": "tto@example.edu.cn", "address": "tto@example.edu.cn", "locale": "en"}}


@pytest.mark.parametrize("bad", [{"time_zone": "Mars/Olympus"}, {"quiet_hours": {"start": "25:00", "end": "08:00"}},
                                 {"channels": {"email": {"address": "not-an-address"}}}, {"colour": "blue"}])
def test_bad_preferences_are_refused(bad: dict) -> None:
    with pytest.raises(ValidationError):
        Preferences.model_validate(bad)
