"""A schedule asked for on the summit day leaves held, missed and begun meetings where they are: new meetings go
into slots still to come, never onto a table or a person already taken then, and kept meetings count to the caps."""

from datetime import UTC, datetime, timedelta

from services.contracts.envelope import new_event
from services.contracts.summits import SchedulePublishedData
from services.matching.schedule_handler import schedule_for
from services.registry.summits.scheduling import instance_data

START = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)
SLOTS = [{"id": i, "start": START + timedelta(minutes=20 * i), "end": START + timedelta(minutes=20 * (i + 1))}
         for i in range(3)]
SUMMIT = {"_id": "sum_1", "slots": SLOTS, "tables": [{"id": 0, "name": "A1"}], "max_meetings_per_participant": 2}
PEOPLE = [{"_id": p, "org_id": f"org_{p}", "unavailable_slots": []} for p in "abcdefgh"]
PAIRS = {"m1": ("a", "b"), "m2": ("c", "d"), "m3": ("e", "f"), "m4": ("a", "g"), "m5": ("a", "h")}
ACCEPTED = [{"_id": m, "from_participant": a, "to_participant": b, "score": 0.9 if m == "m1" else 0.8}
            for m, (a, b) in PAIRS.items()]


async def published(stored: dict[str, dict], now: datetime) -> SchedulePublishedData:
    data = instance_data(SUMMIT, PEOPLE, ACCEPTED, stored, 2, False, 2.0, now)
    event = await schedule_for(new_event("schedule.requested", "sum_1", data, source="/duijie/registry"))
    assert event is not None
    return SchedulePublishedData.model_validate(event.data)


async def test_a_held_meeting_keeps_its_slot_table_and_people() -> None:
    held = {"m1": {"_id": "m1", "status": "held", "slot": 0, "table": 0, "start": SLOTS[0]["start"]}}
    data = await published(held, SLOTS[0]["end"] + timedelta(minutes=5))
    assert "m1" not in {a.meeting_id for a in data.assignments} | {u.meeting_id for u in data.unplaced}
    assert all(a.slot != 0 for a in data.assignments), "slot 0 is over, and its table held m1"
    asked = instance_data(SUMMIT, PEOPLE, ACCEPTED, held, 2, False, 2.0, SLOTS[0]["end"])
    caps = {p["participant_id"]: p["max_meetings"] for p in asked["participants"]}
    assert (caps["a"], caps["b"], caps["c"]) == (1, 1, None), "a and b met already: one more each, cap 2"


async def test_a_begun_meeting_stays_and_nothing_new_starts_in_the_past() -> None:
    begun = {"m2": {"_id": "m2", "status": "scheduled", "slot": 1, "table": 0, "start": SLOTS[1]["start"]}}
    data = await published(begun, SLOTS[1]["start"] + timedelta(minutes=1))
    assert "m2" not in {a.meeting_id for a in data.assignments}, "m2 is under way: it stays where it is"
    assert {a.slot for a in data.assignments} <= {2}
