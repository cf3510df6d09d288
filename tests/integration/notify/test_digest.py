"""The daily digest, against the embedded database and a local SMTP server: with it on, ordinary messages are not
e-mailed at once; once its local time has passed, one e-mail sums up the organisation's last day, and no second
call or second replica sends another that day; urgent warnings are still e-mailed at once."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.contracts.envelope import Envelope, new_event
from services.notify import notifications
from services.notify.changes import Changes
from services.notify.db import Database
from services.notify.deliveries import Dispatcher
from services.notify.digest import DigestSender
from services.notify.fanout import Notifier
from services.notify.numbering import Numbers
from services.notify.preferences import Preferences, PreferenceStore
from services.notify.pulse import Pulse
from services.notify.settings import Settings
from services.notify.webhooks import Endpoints
from tests.integration.notify.support import Mailbox, email_channel, match_event

pytestmark = pytest.mark.integration
DIGESTED, OTHER = "org_digested", "org_other"  # the organisation with the digest on, and the other party


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


def by_email(address: str, digest: bool = False, time_zone: str | None = None) -> Preferences:
    """E-mail on (zh-CN), with or without the digest at 09:00, in `time_zone` or the default one."""
    return Preferences.model_validate({"channels": {"email": {"enabled": True, "address": address}},
                                       "digest": {"enabled": digest, "at": "09:00"}}
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
