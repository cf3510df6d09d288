"""A tail of notifications held up behind slow inserts is not skipped by the live stream: by the time it is
inserted, its sequence numbers may be below a watermark that has moved on, so a group that waited longer than
`fanout.RENUMBER_AFTER` takes new numbers first. Against the embedded database."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.notify.changes import Changes
from services.notify.db import Database
from services.notify.fanout import RENUMBER_AFTER, Notifier
from services.notify.numbering import Numbers
from services.notify.preferences import PreferenceStore
from services.notify.pulse import Pulse
from services.notify.stream import Cursor
from services.notify.webhooks import Endpoints
from tests.integration.notify.support import bare_dispatcher, match_event

pytestmark = pytest.mark.integration
FIRM, UNIVERSITY = "org_firm_tail", "org_university_tail"
SETTLE = 10.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def notifier(db: Database) -> AsyncIterator[tuple[Notifier, Clock]]:
    changes = Changes(db, check_seconds=1.0)
    clock = Clock()
    notifier = Notifier(db, Endpoints(db, 60.0, changes), PreferenceStore(db, 60.0, changes), Pulse(),
                        Numbers(db, "notifications"), clock=clock)
    notifier.dispatcher = bare_dispatcher(db, {})
    yield notifier, clock
    await notifier.tails.drain()
    await notifier.dispatcher.stop()


async def firm_sees(cursor: Cursor, at: datetime) -> list[str]:
    return [doc["subject"] for doc, _ in await cursor.step(now=at) if doc["org_id"] == FIRM]


async def test_a_tail_inserted_after_the_stream_passed_its_old_numbers_is_still_streamed(
        db: Database, notifier: tuple[Notifier, Clock]) -> None:
    notify, clock = notifier
    cursor = Cursor(db, FIRM, 0, SETTLE)
    held = [match_event(FIRM, UNIVERSITY) for _ in range(4)]  # eight notifications: a group of two, then a tail
    async with notify.tails._order:  # the tail waits, as behind slow inserts of the tails before it
        tail = await notify.on_events(held)
        assert tail is not None
        later = match_event(FIRM, UNIVERSITY)
        await notify.on_events([later])  # numbered after the tail, stored before it
        clock.now += RENUMBER_AFTER + SETTLE
        settled = datetime.now(UTC) + timedelta(seconds=SETTLE + 1)
        first = await firm_sees(cursor, settled)
        assert later.subject in first and len(first) == 2, "the first group's one and the later event's"
    await tail
    rest = await firm_sees(cursor, settled)
    assert sorted(first + rest) == sorted(e.subject for e in [*held, later]), "the tail's three as well"
