"""The daily digest, against the embedded database and a local SMTP server: with it on, ordinary messages are not
e-mailed at once; once its local time has passed, one e-mail sums up the organisation's last day, and no second
call or second replica sends another that day; urgent warnings are still e-mailed at once. Each digest starts where
the last ended, whatever the time or zone is changed to and however late it is sent. An organisation whose stored
preferences an older version let through, and which are invalid now, holds up no other's digest nor messages."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.contracts.envelope import Envelope, new_event
from services.notify import notifications
from services.notify.changes import Changes
from services.notify.db import Database
from services.notify.deliveries import Dispatcher
from services.notify.digest import ENDS, DigestSender
from services.notify.event_types import DIGEST_TYPE
from services.notify.fanout import Notifier
from services.notify.numbering import Numbers
from services.notify.preferences import Preferences, PreferenceStore, Unreadable
from services.notify.pulse import Pulse
from services.notify.settings import Settings
from services.notify.webhooks import Endpoints
from tests.integration.notify.support import Mailbox, email_channel, match_event

pytestmark = pytest.mark.integration
DIGESTED, OTHER = "org_digested", "org_other"  # the organisation with the digest on, and the other party
BROKEN = "org_broken"  # one whose stored preferences are invalid


@dataclass
class Replica:
    """One notify replica's preference store, notifier and digest sender."""
    preferences: PreferenceStore
    notifier: Notifier
    digest: DigestSender


def replica(db: Database, smtp_port: int, cert: Path) -> Replica:
    """Composed as `app.create_app` composes notify, with e-mail (to the local SMTP server) as the only channel.
    Nothing runs in the background: the tests call `send_due` with the time they want."""
    changes = Changes(db, check_seconds=1.0)
    preferences = PreferenceStore(db, cache_seconds=60.0, changes=changes)
    notifier = Notifier(db, Endpoints(db, 60.0, changes), preferences, Pulse(), Numbers(db, "notifications"))
    notifier.dispatcher = Dispatcher(db, Settings(), {"email": email_channel(smtp_port, cert)}, notifier.load_target,
                                     notifier.dead_lettered, notifier.gone)
    return Replica(preferences, notifier, DigestSender(db, preferences, notifier))


@pytest.fixture
async def replicas(db: Database, smtp: tuple[Mailbox, int],
                   certificate: tuple[Path, Path]) -> AsyncIterator[tuple[Replica, Replica]]:
    """Two replicas sharing the scratch database, as two notify processes share theirs."""
    both = replica(db, smtp[1], certificate[0]), replica(db, smtp[1], certificate[0])
    yield both
    for one in both:
        await one.notifier.tails.drain()
        assert one.notifier.dispatcher is not None
        await one.notifier.dispatcher.stop()


def by_email(address: str, digest: bool = False, time_zone: str | None = None, at: str = "09:00") -> Preferences:
    """E-mail on (zh-CN), with or without the digest at `at`, in `time_zone` or the default one."""
    return Preferences.model_validate({"channels": {"email": {"enabled": True, "address": address}},
                                       "digest": {"enabled": digest, "at": at}}
                                      | ({"time_zone": time_zone} if time_zone else {}))


async def deliver(notify: Replica, *events: Envelope) -> None:
    """Events as notify's consumer hands them over: recorded, and their first messages on their way."""
    tail = await notify.notifier.on_events(list(events))
    if tail is not None:
        await tail


async def came_at(db: Database, when: datetime, type_: str = "match.proposed") -> None:
    """A notification for the digest's organisation, recorded as if it had come at `when`."""
    doc = notifications.new(DIGESTED, type_, "mt_earlier", {}, f"ev_{when.isoformat()}", None, 0)
    await db["notifications"].insert_one(doc | {"created_at": when})


def next_nine(zone: ZoneInfo) -> datetime:
    """The next 09:00 in `zone` (as UTC): the digest's last day, back from then, starts before now."""
    now = datetime.now(zone)
    nine = now.replace(hour=9, minute=0, second=0, microsecond=0)
    return (nine if nine > now else nine + timedelta(days=1)).astimezone(UTC)


async def test_with_the_digest_on_an_ordinary_message_is_not_emailed_at_once(
        replicas: tuple[Replica, Replica], smtp: tuple[Mailbox, int], db: Database) -> None:
    notify, mailbox = replicas[0], smtp[0]
    await notify.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True))
    await notify.preferences.put(OTHER, by_email("tto@other.test"))

    await deliver(notify, match_event(DIGESTED, OTHER))
    (sent,) = await mailbox.wait_for(1)
    assert sent["To"] == "tto@other.test", "the other party, without a digest, is e-mailed at once"
    assert len(await mailbox.wait_for(2, within=1.0)) == 1, "the digest's organisation is not"
    assert await db["notifications"].count_documents({"org_id": DIGESTED, "type": "match.proposed"}) == 1, \
        "its notification is recorded all the same (for the stream and the digest)"


@pytest.mark.parametrize("zone", [None, "America/New_York"], ids=["default zone Asia-Shanghai", "America-New_York"])
async def test_once_its_local_time_has_passed_one_digest_sums_up_the_organisations_day_and_no_replica_repeats_it(
        replicas: tuple[Replica, Replica], smtp: tuple[Mailbox, int], db: Database, zone: str | None) -> None:
    (first, second), mailbox, local = replicas, smtp[0], ZoneInfo(zone or "Asia/Shanghai")
    nine = next_nine(local)
    await first.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True, time_zone=zone))
    proposed, also_proposed = match_event(DIGESTED, OTHER), match_event(DIGESTED, OTHER)
    retracted = new_event("match.retracted", proposed.subject, {**proposed.data, "reason": "need_closed"}, "/tests")
    await deliver(first, proposed, also_proposed, retracted)
    await came_at(db, nine - timedelta(days=2), "meeting.requested")  # not the last day

    assert await first.digest.send_due(nine - timedelta(minutes=1)) == 0, "08:59 there: not yet"
    assert await first.digest.send_due(nine) == 1
    (digest,) = await mailbox.wait_for(1)
    day = nine.astimezone(local).date().isoformat()
    assert (digest["To"], digest["Subject"]) == ("tto@digested.test", "每日对接摘要")
    text = digest.get_body(("plain",)).get_content()
    assert f"- date：{day}" in text
    assert "- count：3" in text and "- summary：match.proposed × 2, match.retracted × 1" in text, \
        "its own notifications of the last day: not the other party's, nor older ones"

    assert await first.digest.send_due(nine + timedelta(hours=14, minutes=59)) == 0, "23:59 the same day"
    assert await second.digest.send_due(nine + timedelta(hours=1)) == 0, "nor another replica"
    assert len(await mailbox.wait_for(2, within=1.0)) == 1


async def test_an_urgent_warning_is_still_emailed_at_once_with_the_digest_on(
        replicas: tuple[Replica, Replica], smtp: tuple[Mailbox, int]) -> None:
    notify, mailbox = replicas[0], smtp[0]
    await notify.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True))
    given_up = {"_id": "ntf_lost:webhook:ep_down", "channel": "webhook", "target_id": "ep_down", "attempts": 8}
    await notify.notifier.dead_lettered(given_up, {"_id": "ntf_lost", "org_id": DIGESTED, "type": "match.proposed"})

    (warning,) = await mailbox.wait_for(1)
    assert (warning["To"], warning["Subject"]) == ("tto@digested.test", "Webhook 投递失败，消息已转入死信")
    text = warning.get_body(("plain",)).get_content()
    assert "- 渠道：webhook" in text and "- 事件类型：match.proposed" in text


async def test_a_digest_sent_late_still_sums_up_everything_since_the_one_before(
        replicas: tuple[Replica, Replica], smtp: tuple[Mailbox, int], db: Database) -> None:
    notify, mailbox = replicas[0], smtp[0]
    nine = next_nine(ZoneInfo("Asia/Shanghai"))
    await notify.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True))
    assert await notify.digest.send_due(nine - timedelta(days=1)) == 1, "yesterday's, on time"
    await came_at(db, nine - timedelta(days=1, minutes=-5))  # 09:05 yesterday, just after it

    assert await notify.digest.send_due(nine + timedelta(minutes=10)) == 1, "today's, late (notify was restarting)"
    _, today = await mailbox.wait_for(2)
    assert "- count：1" in today.get_body(("plain",)).get_content(), "in today's digest, as in no other"


def local(zone: str, *fields: int) -> datetime:
    """A local time in `zone` (year, month, day, hour, minute), as UTC."""
    return datetime(*fields, tzinfo=ZoneInfo(zone)).astimezone(UTC)


SH, NY = "Asia/Shanghai", "America/New_York"


def counted(digest: EmailMessage) -> tuple[str, str]:
    """The date and count a digest e-mail gives."""
    facts = dict(x[2:].split("：", 1) for x in digest.get_body(("plain",)).get_content().splitlines()
                 if x.startswith("- ") and "：" in x)
    return facts["date"], facts["count"]


async def test_a_digest_time_moved_later_after_that_days_digest_loses_no_hour_and_repeats_none(
        replicas: tuple[Replica, Replica], smtp: tuple[Mailbox, int], db: Database) -> None:
    notify, mailbox = replicas[0], smtp[0]
    await notify.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True))
    await came_at(db, local(SH, 2026, 3, 2, 8, 0))
    assert await notify.digest.send_due(local(SH, 2026, 3, 2, 9, 0)) == 1
    await came_at(db, local(SH, 2026, 3, 2, 12, 0))  # after that digest, before the new time
    await notify.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True, at="18:00"))

    assert await notify.digest.send_due(local(SH, 2026, 3, 2, 18, 0)) == 0, "that day had its digest"
    await came_at(db, local(SH, 2026, 3, 2, 20, 0))
    assert await notify.digest.send_due(local(SH, 2026, 3, 3, 18, 0)) == 1
    assert [counted(m) for m in await mailbox.wait_for(2)] == [("2026-03-02", "1"), ("2026-03-03", "2")], \
        "12:00 and 20:00 in the second, and 08:00 in the first alone"


async def test_a_time_zone_changed_after_that_days_digest_skips_no_day_and_loses_no_hour(
        replicas: tuple[Replica, Replica], smtp: tuple[Mailbox, int], db: Database) -> None:
    notify, mailbox = replicas[0], smtp[0]
    await notify.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True))
    assert await notify.digest.send_due(local(SH, 2026, 3, 2, 9, 0)) == 1
    await came_at(db, local(SH, 2026, 3, 2, 13, 0))  # midnight in New York
    await notify.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True, time_zone=NY))

    assert await notify.digest.send_due(local(NY, 2026, 3, 2, 9, 0)) == 1
    assert [counted(m) for m in await mailbox.wait_for(2)] == [("2026-03-02", "0"), ("2026-03-02", "1")]


async def test_a_digest_missed_while_notify_was_down_over_midnight_is_sent_when_it_is_back(
        replicas: tuple[Replica, Replica], smtp: tuple[Mailbox, int], db: Database) -> None:
    (first, second), mailbox = replicas, smtp[0]
    await first.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True, at="23:30"))
    assert await first.digest.send_due(local(SH, 2026, 3, 1, 23, 30)) == 1
    await came_at(db, local(SH, 2026, 3, 2, 12, 0))

    # down from 23:25 to 00:05: no call at 23:30
    assert await first.digest.send_due(local(SH, 2026, 3, 3, 0, 5)) == 1, "back after midnight: sent late"
    assert await second.digest.send_due(local(SH, 2026, 3, 3, 0, 6)) == 0, "once"
    assert await second.digest.send_due(local(SH, 2026, 3, 3, 23, 30)) == 1
    assert [counted(m) for m in await mailbox.wait_for(3)] == [
        ("2026-03-01", "0"), ("2026-03-02", "1"), ("2026-03-03", "0")]


async def test_a_digest_time_the_clocks_skip_is_sent_when_they_jump_and_the_next_starts_there(
        replicas: tuple[Replica, Replica], smtp: tuple[Mailbox, int], db: Database) -> None:
    notify, mailbox = replicas[0], smtp[0]
    await notify.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True, time_zone=NY, at="02:30"))
    assert await notify.digest.send_due(local(NY, 2026, 3, 7, 2, 30)) == 1
    jump = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 02:00 EST becomes 03:00 EDT
    assert await notify.digest.send_due(jump - timedelta(minutes=1)) == 0
    assert await notify.digest.send_due(jump) == 1
    await came_at(db, jump + timedelta(minutes=10))  # 03:10 EDT, after that digest went

    assert await notify.digest.send_due(local(NY, 2026, 3, 9, 2, 30)) == 1
    assert [counted(m) for m in await mailbox.wait_for(3)] == [
        ("2026-03-07", "0"), ("2026-03-08", "0"), ("2026-03-09", "1")]


async def test_a_digest_stored_by_a_replica_that_stopped_before_storing_where_it_ended_is_not_sent_again(
        replicas: tuple[Replica, Replica], smtp: tuple[Mailbox, int], db: Database) -> None:
    (first, second), mailbox = replicas, smtp[0]
    await first.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True))
    assert await first.digest.send_due(local(SH, 2026, 3, 2, 9, 0)) == 1
    assert await first.digest.send_due(local(SH, 2026, 3, 3, 9, 0)) == 1
    await db[ENDS].update_one({"_id": DIGESTED}, {"$set": {"until": local(SH, 2026, 3, 2, 9, 0)}})  # as if not

    assert await second.digest.send_due(local(SH, 2026, 3, 3, 9, 5)) == 0
    await came_at(db, local(SH, 2026, 3, 3, 12, 0))
    assert await second.digest.send_due(local(SH, 2026, 3, 4, 9, 0)) == 1
    assert [counted(m) for m in await mailbox.wait_for(3)] == [
        ("2026-03-02", "0"), ("2026-03-03", "0"), ("2026-03-04", "1")]
    assert len(await mailbox.wait_for(4, within=1.0)) == 3


async def test_a_digest_sent_before_their_ends_were_stored_is_not_sent_again(
        replicas: tuple[Replica, Replica], smtp: tuple[Mailbox, int], db: Database) -> None:
    notify, mailbox = replicas[0], smtp[0]
    await notify.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True))
    key = f"digest:{DIGESTED}:2026-03-02"  # the key an earlier version gave that day's digest
    await db["notifications"].insert_one(notifications.new(DIGESTED, DIGEST_TYPE, DIGESTED, {"date": "2026-03-02"},
                                                           key, key, 0))
    assert await notify.digest.send_due(local(SH, 2026, 3, 2, 10, 0)) == 0
    await came_at(db, local(SH, 2026, 3, 2, 12, 0))
    assert await notify.digest.send_due(local(SH, 2026, 3, 3, 9, 0)) == 1
    assert [counted(m) for m in await mailbox.wait_for(1)] == [("2026-03-03", "1")]


async def test_a_digest_switched_off_and_on_again_does_not_sum_up_what_was_emailed_meanwhile(
        replicas: tuple[Replica, Replica], smtp: tuple[Mailbox, int], db: Database) -> None:
    notify, mailbox = replicas[0], smtp[0]
    await notify.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True))
    assert await notify.digest.send_due(local(SH, 2026, 3, 2, 9, 0)) == 1
    await notify.preferences.put(DIGESTED, by_email("tto@digested.test"))
    assert await notify.digest.send_due(local(SH, 2026, 3, 5, 9, 0)) == 0
    await came_at(db, local(SH, 2026, 3, 4, 12, 0))  # e-mailed at once, the digest being off

    await notify.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True))
    assert await notify.digest.send_due(local(SH, 2026, 3, 6, 9, 0)) == 1
    assert [counted(m) for m in await mailbox.wait_for(2)] == [("2026-03-02", "0"), ("2026-03-06", "0")], \
        "from its time the day before, as a first digest"


async def stored_by_an_older_version(db: Database, org_id: str, **invalid: dict) -> None:
    """E-mail on, and what an older notify let through and stored: `invalid` (a time in other digits)."""
    doc = by_email(f"tto@{org_id}.test").model_dump() | invalid
    await db["preferences"].insert_one({"_id": org_id, **doc, "updated_at": datetime.now(UTC)})


async def test_an_organisation_whose_stored_digest_time_is_invalid_holds_up_no_other_organisations_digest(
        replicas: tuple[Replica, Replica], smtp: tuple[Mailbox, int], db: Database) -> None:
    notify, mailbox = replicas[0], smtp[0]
    await stored_by_an_older_version(db, BROKEN, digest={"enabled": True, "at": "0\u0669:00"})  # ARABIC-INDIC NINE
    await notify.preferences.put(DIGESTED, by_email("tto@digested.test", digest=True))
    await deliver(notify, match_event(DIGESTED, OTHER))

    assert await notify.digest.send_due(next_nine(ZoneInfo("Asia/Shanghai"))) == 1
    (digest,) = await mailbox.wait_for(1)
    assert digest["To"] == "tto@digested.test"


async def test_an_organisation_whose_stored_quiet_hours_are_invalid_is_still_told_without_them(
        replicas: tuple[Replica, Replica], smtp: tuple[Mailbox, int], db: Database) -> None:
    notify, mailbox = replicas[0], smtp[0]
    await stored_by_an_older_version(db, BROKEN, quiet_hours={"start": "0\U00010d40:00", "end": "08:00"})
    await notify.preferences.put(OTHER, by_email("tto@other.test"))

    await deliver(notify, match_event(BROKEN, OTHER))  # one batch naming both
    assert {m["To"] for m in await mailbox.wait_for(2)} == {"tto@other.test", "tto@org_broken.test"}
    assert (await notify.preferences.of(BROKEN)).quiet_hours is None, "read as none, not as silence"


async def test_an_organisation_whose_stored_channels_are_invalid_gets_nothing_and_holds_up_no_other(
        replicas: tuple[Replica, Replica], smtp: tuple[Mailbox, int], db: Database) -> None:
    notify, mailbox = replicas[0], smtp[0]
    await stored_by_an_older_version(db, BROKEN, channels={"email": {"enabled": True, "address": 42}})
    await notify.preferences.put(OTHER, by_email("tto@other.test"))

    await deliver(notify, match_event(BROKEN, OTHER))  # one batch naming both
    (sent,) = await mailbox.wait_for(1)
    assert sent["To"] == "tto@other.test", "the other party is told all the same"
    assert len(await mailbox.wait_for(2, within=1.0)) == 1, "nothing goes to the one whose channels are invalid"
    assert await db["notifications"].count_documents({"org_id": BROKEN}) == 1, "its notification is kept"
    with pytest.raises(Unreadable, match="PUT /v1/preferences"):
        await notify.preferences.of(BROKEN)

    await notify.preferences.put(BROKEN, by_email("tto@org_broken.test"))
    await deliver(notify, match_event(BROKEN, OTHER))
    assert {m["To"] for m in await mailbox.wait_for(3)} == {"tto@other.test", "tto@org_broken.test"}, \
        "new preferences put: it is told again"
