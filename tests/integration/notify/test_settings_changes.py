"""Two notify replicas over one database: each keeps the preferences and endpoints it read, and a change made
through one reaches the other at its next check of the change counter (every second in the service), not only
once the other's kept answers expire."""

import uuid
from collections.abc import AsyncIterator

import pytest

from deploy.stack import Stack
from services.notify.changes import Changes
from services.notify.db import Database
from services.notify.preferences import Channels, Preferences, PreferenceStore
from services.notify.webhooks import Endpoints

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[Database]:
    database = Database(stack.database_url("notify-database"), f"changes_{uuid.uuid4().hex[:8]}")
    yield database
    await database.client.drop_database(database.db.name)
    await database.close()


class Replica:
    def __init__(self, db: Database) -> None:
        self.changes = Changes(db, check_seconds=3600)  # checked by hand here
        self.preferences = PreferenceStore(db, 3600, self.changes)
        self.endpoints = Endpoints(db, 3600, self.changes)


async def test_a_change_through_one_replica_reaches_the_other_at_its_next_check(db: Database) -> None:
    first, second = Replica(db), Replica(db)
    for replica in (first, second):
        assert await replica.changes.check() is False, "nothing announced yet"
    assert (await second.preferences.of("org_1")).channels.sse is True
    assert await second.endpoints.targeted_for("org_1", "match.proposed") == []

    await first.preferences.put("org_1", Preferences(channels=Channels(sse=False)))
    hook = await first.endpoints.register("org_1", "https://hooks.example.com/a", [])
    assert (await first.preferences.of("org_1")).channels.sse is False, "its own change at once"
    assert (await second.preferences.of("org_1")).channels.sse is True, "kept until the next check"

    assert await second.changes.check() is True
    assert (await second.preferences.of("org_1")).channels.sse is False
    assert [e["_id"] for e in await second.endpoints.targeted_for("org_1", "match.proposed")] == [hook["_id"]]
    assert await second.changes.check() is False, "nothing new since"

    await first.endpoints.disable(hook, "the receiver answered 410 Gone")
    assert len(await second.endpoints.targeted_for("org_1", "match.proposed")) == 1
    assert await second.changes.check() is True
    assert await second.endpoints.targeted_for("org_1", "match.proposed") == []
