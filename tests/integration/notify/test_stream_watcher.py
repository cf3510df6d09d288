"""One reader per process finds the notifications other replicas insert and wakes only their organisations'
streams, late inserts below a higher number included; it reads nothing while no stream is open."""

from datetime import UTC, datetime

import pytest

from services.notify.db import Database
from services.notify.pulse import Pulse, Watcher

pytestmark = pytest.mark.integration


async def insert(db: Database, seq: int, org_id: str) -> None:
    await db["notifications"].insert_one({"_id": f"ntf_{seq}", "org_id": org_id, "seq": seq, "type": "match.proposed",
                                          "created_at": datetime.now(UTC)})


async def test_the_watcher_wakes_the_organisations_with_new_notifications_late_ones_too(db: Database) -> None:
    pulse = Pulse()
    watcher = Watcher(db, pulse)
    for seq, org_id in ((1, "org_a"), (2, "org_b")):
        await insert(db, seq, org_id)
    assert await watcher.read() == set() and watcher.watch is None, "no stream open: nothing read"

    with pulse.streaming():
        assert await watcher.read() == set(), "a first stream: from the newest on"
        assert watcher.watch is not None and watcher.watch.high == 2
        await insert(db, 3, "org_a")
        await insert(db, 5, "org_c")  # 4 was reserved and is inserted later, maybe by another replica
        assert await watcher.read() == {"org_a", "org_c"}
        assert await watcher.read() == set(), "each notification wakes its organisation once"
        await insert(db, 4, "org_b")
        assert await watcher.read() == {"org_b"}, "a number below the highest read, inserted late"
    assert await watcher.read() == set() and watcher.watch is None
