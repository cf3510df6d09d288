"""Both sides of a meeting check in at the same moment: the meeting is held, and its follow-ups are made, whichever
check-in commits last. Each used to judge 'held' on the meeting as it read it, before the other's check-in, so on a
database running the two at once both saw the other side missing and the meeting was later recorded as missed."""

import uuid
from datetime import UTC, datetime

import pytest

from services.contracts.wire import decode
from services.registry.auth import Caller
from services.registry.container import Container
from services.registry.db import Database, retrying
from services.registry.summits import day
from services.registry.summits.repository import SummitRepository

pytestmark = pytest.mark.integration


async def test_two_check_ins_at_once_make_the_meeting_held(summit: dict, registry_db: Database, box: Container,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    firm, university = Caller(f"org_f{uuid.uuid4().hex[:8]}", "member", "k1"), \
        Caller(f"org_u{uuid.uuid4().hex[:8]}", "member", "k2")
    slot = summit["slots"][1]
    meeting_id = f"mtg_{uuid.uuid4().hex[:12]}"
    doc = {"_id": meeting_id, "summit_id": summit["id"], "participant_ids": ["par_f", "par_u"],
           "org_ids": [firm.org_id, university.org_id], "score": 0.8, "status": "scheduled", "slot": 1, "table": 0,
           "table_name": "A1", "start": datetime.fromisoformat(slot["start"]),
           "end": datetime.fromisoformat(slot["end"]), "check_ins": {}}

    async def insert() -> None:
        async with registry_db.transaction() as session:
            await registry_db["summit_meetings"].insert_one(doc, session=session)

    await retrying(insert)
    read = SummitRepository.meeting
    reads = 0

    async def read_while_the_other_side_checks_in(repo: SummitRepository, summit_id: str, mid: str) -> dict | None:
        nonlocal reads
        reads += 1
        found = await read(repo, summit_id, mid)
        if reads == 1:  # the firm's read: the university checks in before the firm's write
            await day.check_in(box, university, summit_id, mid, None, datetime.now(UTC))
        return found

    monkeypatch.setattr(SummitRepository, "meeting", read_while_the_other_side_checks_in)
    await day.check_in(box, firm, summit["id"], meeting_id, None, datetime.now(UTC))
    monkeypatch.undo()

    stored = await registry_db["summit_meetings"].find_one({"_id": meeting_id})
    assert sorted(stored["check_ins"]) == ["par_f", "par_u"]
    assert stored["status"] == "held"
    followups = await registry_db["summit_followups"].find({"meeting_id": meeting_id}).to_list()
    assert {f["org_id"] for f in followups} == {firm.org_id, university.org_id}
    events = [decode(row["value"]) for name in ("outbox", "outbox_sent")  # the stack's relay may have sent them
              for row in await registry_db[name].find({"key": summit["id"], "type": "meeting.checked_in"}).to_list()]
    held = {e.data["participant_id"]: e.data["held"] for e in events if e.data["meeting_id"] == meeting_id}
    assert held == {"par_u": False, "par_f": True}, "the check-in that made it held says so"
