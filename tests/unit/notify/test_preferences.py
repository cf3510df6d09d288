"""Preferences: which channels and event types, quiet hours in the organisation's time zone."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.notify.event_types import MAX_CHOSEN
from services.notify.preferences import Preferences, clock_of, quiet_until

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")  # 2026-03-08: 02:00 EST -> 03:00 EDT; 2026-11-01: 02:00 EDT -> 01:00 EST


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


def test_a_shanghai_night_window_ends_the_next_morning_as_a_utc_instant() -> None:
    assert quiet_until(datetime(2026, 3, 10, 15, 30, tzinfo=UTC), "22:00", "08:00", SHANGHAI) == datetime(
        2026, 3, 11, 0, 0, tzinfo=UTC)  # 23:30 -> 08:00 next day
    assert quiet_until(datetime(2026, 3, 10, 16, 30, tzinfo=UTC), "22:00", "08:00", SHANGHAI) == datetime(
        2026, 3, 11, 0, 0, tzinfo=UTC)  # 00:30, after midnight -> 08:00 the same day


def test_when_the_clock_skips_the_end_of_quiet_hours_they_end_as_it_jumps_past_it() -> None:
    # 02:30 does not exist on 2026-03-08 in New York: the clock reads 01:59 EST, then 03:00 EDT (07:00Z).
    for now in (datetime(2026, 3, 8, 6, 0, tzinfo=UTC), datetime(2026, 3, 8, 6, 59, tzinfo=UTC)):  # 01:00, 01:59 EST
        assert quiet_until(now, "01:00", "02:30", NEW_YORK) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert quiet_until(datetime(2026, 3, 8, 7, 0, tzinfo=UTC), "01:00", "02:30", NEW_YORK) is None  # 03:00 EDT


def test_when_the_clock_repeats_the_end_of_quiet_hours_they_end_at_its_next_reading() -> None:
    # On 2026-11-01 New York reads 01:00-01:59 twice: EDT (05:00-05:59Z), then EST (06:00-06:59Z).
    def release(now: datetime) -> datetime | None:
        return quiet_until(now, "22:00", "01:30", NEW_YORK)
    assert release(datetime(2026, 11, 1, 5, 10, tzinfo=UTC)) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:10 EDT
    assert release(datetime(2026, 11, 1, 5, 40, tzinfo=UTC)) is None  # 01:40 EDT: past 01:30
    assert release(datetime(2026, 11, 1, 6, 10, tzinfo=UTC)) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:10 EST


SPRING, FALL = datetime(2026, 3, 7, 20, 0, tzinfo=UTC), datetime(2026, 10, 31, 20, 0, tzinfo=UTC)  # 15:00/16:00 local


@pytest.mark.parametrize(("night", "start", "end"), [
    (SPRING, "01:00", "02:30"), (SPRING, "22:00", "02:00"), (FALL, "22:00", "01:30"), (FALL, "00:30", "01:00")])
def test_around_clock_changes_a_held_message_goes_exactly_when_the_window_ends_never_earlier(
        night: datetime, start: str, end: str) -> None:
    for minute in range(0, 14 * 60, 7):
        now = night + timedelta(minutes=minute)
        released = quiet_until(now, start, end, NEW_YORK)
        if released is not None:
            assert released > now, now
            assert quiet_until(released, start, end, NEW_YORK) is None, now  # the window has ended by then
            assert quiet_until(released - timedelta(minutes=1), start, end, NEW_YORK) is not None, now  # and not before


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


@pytest.mark.parametrize("bad", [{"time_zone": "Mars/Olympus"}, {"time_zone": "Asia"}, {"time_zone": "x" * 300},
                                 {"quiet_hours": {"start": "25:00", "end": "08:00"}},
                                 {"channels": {"email": {"address": "not-an-address"}}}, {"colour": "blue"}])
def test_bad_preferences_are_refused(bad: dict) -> None:
    with pytest.raises(ValidationError):
        Preferences.model_validate(bad)


@pytest.mark.parametrize("hhmm", ["0\u0669:00", "\u0660\u0669:00", "0\U00010d40:00", "09:\uff10\uff10",  # other digits
                                  "9:00", "09:00\n", "24:00", "23:60", "-1:00"])
def test_a_time_of_day_is_hh_mm_in_ascii_digits_from_00_00_to_23_59(hhmm: str) -> None:
    with pytest.raises(ValidationError):
        Preferences.model_validate({"quiet_hours": {"start": hhmm, "end": "08:00"}})
    with pytest.raises(ValidationError):
        Preferences.model_validate({"digest": {"enabled": True, "at": hhmm}})


def test_every_time_of_day_accepted_is_one_quiet_hours_and_the_digest_can_read() -> None:
    for hhmm in ("00:00", "09:05", "19:59", "23:59"):
        prefs = Preferences.model_validate({"quiet_hours": {"start": hhmm, "end": hhmm},
                                            "digest": {"enabled": True, "at": hhmm}})
        assert clock_of(prefs.digest.at) == time.fromisoformat(hhmm)
        assert prefs.release_at(datetime(2026, 3, 10, tzinfo=UTC)) is None, "a window that ends as it starts"


def test_event_types_named_twice_are_kept_once_and_a_list_longer_than_there_are_types_is_refused() -> None:
    assert Preferences(event_types=["deal.signed", "match.proposed", "deal.signed"]).event_types == \
        ["deal.signed", "match.proposed"]
    with pytest.raises(ValidationError, match=f"at most {MAX_CHOSEN} items"):
        Preferences(event_types=["match.proposed"] * (MAX_CHOSEN + 1))
