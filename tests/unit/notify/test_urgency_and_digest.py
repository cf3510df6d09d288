"""What quiet hours never hold, what a channel needs before it can be switched on, and when the digest is due and
what it sums up."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.notify.digest import Due, due, due_at
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


def digest_at(at: str, time_zone: str = "Asia/Shanghai") -> Preferences:
    return Preferences.model_validate({"digest": {"enabled": True, "at": at}, "time_zone": time_zone})


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def test_the_first_digest_is_due_once_its_local_time_has_passed_and_sums_up_the_day_before() -> None:
    prefs = digest_at("09:00")
    assert due(prefs, None, datetime(2026, 3, 10, 8, 59, tzinfo=SHANGHAI).astimezone(UTC)) is None
    assert due(prefs, None, utc(2026, 3, 10, 2)) == Due(date(2026, 3, 10), utc(2026, 3, 9, 1), utc(2026, 3, 10, 1)), \
        "10:00 in Shanghai: from 09:00 yesterday to 09:00 today"


def test_a_digest_starts_where_the_last_ended_across_a_clock_change() -> None:
    prefs = digest_at("09:00", "Europe/Berlin")
    first = due(prefs, None, utc(2026, 3, 29, 7, 0))  # clocks go forward at 02:00 that night: a local day of 23 hours
    assert first is not None and (first.since, first.until) == (utc(2026, 3, 28, 8), utc(2026, 3, 29, 7))
    assert due(prefs, first.until, utc(2026, 3, 29, 12)) is None, "one a day"
    assert due(prefs, first.until, utc(2026, 3, 30, 7)) == Due(date(2026, 3, 30), first.until, utc(2026, 3, 30, 7))


def test_a_digest_time_moved_after_that_days_digest_loses_nothing_and_repeats_nothing() -> None:
    sent_at_nine = utc(2026, 3, 2, 1)  # 09:00 in Shanghai: where that day's digest ended
    assert due(digest_at("18:00"), sent_at_nine, utc(2026, 3, 2, 10)) is None, "18:00 that day: it had its digest"
    assert due(digest_at("18:00"), sent_at_nine, utc(2026, 3, 3, 10)) == \
        Due(date(2026, 3, 3), sent_at_nine, utc(2026, 3, 3, 10)), "the next from 09:00 the day before, not 18:00"
    sent_at_six_pm = utc(2026, 3, 2, 10)
    assert due(digest_at("09:00"), sent_at_six_pm, utc(2026, 3, 3, 1)) == \
        Due(date(2026, 3, 3), sent_at_six_pm, utc(2026, 3, 3, 1)), "moved earlier: from 18:00, not 09:00 again"


def test_a_time_zone_changed_after_that_days_digest_skips_no_day_and_loses_no_hour() -> None:
    sent_in_shanghai = utc(2026, 3, 2, 1)  # 09:00 on 03-02 there, 20:00 on 03-01 in New York
    assert due(digest_at("09:00", "America/New_York"), sent_in_shanghai, utc(2026, 3, 2, 14)) == \
        Due(date(2026, 3, 2), sent_in_shanghai, utc(2026, 3, 2, 14)), "09:00 on 03-02 in New York"


def test_a_digest_missed_while_notify_was_down_is_sent_late_once_covering_everything_since_the_last() -> None:
    prefs, last = digest_at("23:30"), utc(2026, 3, 1, 15, 30)  # 23:30 on 03-01 in Shanghai
    after_midnight = datetime(2026, 3, 3, 0, 5, tzinfo=SHANGHAI).astimezone(UTC)  # down from 23:25 on 03-02
    assert due(prefs, last, after_midnight) == Due(date(2026, 3, 2), last, utc(2026, 3, 2, 15, 30))
    three_days_later = datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
    assert due(prefs, last, three_days_later) == Due(date(2026, 3, 4), last, utc(2026, 3, 4, 15, 30)), \
        "one digest for the days missed, not one a day"


def test_a_digest_time_the_clocks_skip_is_due_and_ends_when_they_jump_past_it() -> None:
    prefs, jump = digest_at("02:30", "America/New_York"), utc(2026, 3, 8, 7)  # 02:00 EST to 03:00 EDT on 03-08
    assert due_at(prefs, date(2026, 3, 8)) == jump
    last = due_at(prefs, date(2026, 3, 7))
    assert due(prefs, last, utc(2026, 3, 8, 6, 59)) is None
    assert due(prefs, last, jump) == Due(date(2026, 3, 8), last, jump), "it ends when it is sent"
    assert due(prefs, jump, utc(2026, 3, 9, 6, 30)) == Due(date(2026, 3, 9), jump, utc(2026, 3, 9, 6, 30)), \
        "and the next starts there"
    assert due_at(digest_at("01:30", "America/New_York"), date(2026, 11, 1)) == utc(2026, 11, 1, 5, 30), \
        "a time the clocks show twice: the first"


def test_an_organisation_that_chose_its_event_types_still_gets_the_digest_it_switched_on() -> None:
    chosen = {"event_types": ["deal.signed"], "digest": {"enabled": True}}
    assert Preferences.model_validate(chosen).wants(DIGEST_TYPE)
    assert not Preferences.model_validate({**chosen, "digest": {"enabled": False}}).wants(DIGEST_TYPE)
    assert not Preferences.model_validate(chosen).wants("match.proposed")
