"""The event types a webhook endpoint or the preferences may choose: those notify tells of, and no others."""

from services.notify.event_types import dead_lettered, known, unknown
from services.notify.messages import TITLES


def test_the_events_notify_tells_of_and_its_own_messages_can_be_chosen() -> None:
    chosen = known()
    assert {"match.proposed", "match.accepted", "meeting.requested", "schedule.published", "deal.signed"} <= set(chosen)
    assert {"webhook.test", "webhook.disabled", "digest.daily", dead_lettered("email")} <= set(chosen)
    assert chosen == sorted(chosen)


def test_events_nobody_hears_of_and_typos_cannot() -> None:
    assert not {"need.posted", "result.published", "summit.created", "schedule.requested"} & set(known())
    assert unknown(["match.proposed", "digest.daily"]) is None
    assert unknown([]) is None
    why = unknown(["match.proposed", "need.posted", "match.propsed"])
    assert why is not None and "need.posted, match.propsed" not in why and "match.propsed, need.posted" in why
    assert "match.proposed," not in why


def test_every_event_type_that_can_be_chosen_has_a_title_in_both_languages() -> None:
    for locale in ("zh-CN", "en"):
        untitled = [t for t in known() if t not in TITLES[locale]]
        assert untitled == [], locale
