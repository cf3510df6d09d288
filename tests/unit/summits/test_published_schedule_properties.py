"""Property-based: whatever the summit, the schedule the registry receives never double-books a participant or a
table and never uses a slot a participant cannot attend. Instances go through the same code as in production:
registry documents -> schedule.requested data -> matching's handler -> schedule.published data."""

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.contracts.envelope import new_event
from services.contracts.summits import SchedulePublishedData
from services.matching.schedule_handler import schedule_for
from services.registry.summits import plan
from services.registry.summits.scheduling import instance_data

START = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)


@st.composite
def summits(draw: st.DrawFn) -> tuple[dict, list[dict], list[dict], dict[str, dict]]:
    minutes = draw(st.sampled_from([15, 20, 30]))
    sessions = [plan.Session(START, START + timedelta(minutes=minutes * draw(st.integers(1, 4))), minutes)]
    if draw(st.booleans()):
        later = START + timedelta(hours=3)
        sessions.append(plan.Session(later, later + timedelta(minutes=minutes * draw(st.integers(1, 3))), minutes))
    slots = plan.slots_of(sessions)
    tables = plan.table_names(draw(st.integers(1, 3)), [])
    summit = {"_id": "sum_p", "slots": [{"id": s.id, "start": s.start, "end": s.end} for s in slots],
              "tables": [{"id": i, "name": n} for i, n in enumerate(tables)],
              "max_meetings_per_participant": draw(st.integers(1, 4))}
    people = []
    for i in range(draw(st.integers(2, 8))):
        away = draw(st.lists(st.integers(0, len(slots) - 1), max_size=len(slots), unique=True))
        people.append({"_id": f"par_{i}", "org_id": f"org_{i % 4}", "unavailable_slots": plan.unavailable_slots(
            slots, away, []), "max_meetings": draw(st.none() | st.integers(1, 3))})
    accepted = []
    for n, (a, b) in enumerate(draw(st.lists(st.tuples(st.integers(0, len(people) - 1),
                                                       st.integers(0, len(people) - 1)), max_size=14))):
        if a != b:
            accepted.append({"_id": f"mr_{n}", "from_participant": f"par_{a}", "to_participant": f"par_{b}",
                             "score": draw(st.floats(0, 1))})
    stored = {}
    for r in accepted:  # some meetings had a placement in an earlier schedule
        if draw(st.booleans()):
            slot = draw(st.integers(0, len(slots) - 1))
            stored[r["_id"]] = {"status": "scheduled", "slot": slot, "table": draw(st.integers(0, len(tables) - 1)),
                                "start": slots[slot].start}
    return summit, people, accepted, stored


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summits())
async def test_published_schedules_never_double_book_or_break_availability(case) -> None:
    summit, people, accepted, stored = case
    data = instance_data(summit, people, accepted, stored, run=1, final=False, time_limit_s=2.0,
                         now=START - timedelta(days=1))
    published = await schedule_for(new_event("schedule.requested", "sum_p", data, source="/test"))
    assert published is not None
    result = SchedulePublishedData.model_validate(published.data)
    away = {p["_id"]: set(p["unavailable_slots"]) for p in people}
    cap = {p["_id"]: min(p["max_meetings"] or 99, summit["max_meetings_per_participant"]) for p in people}
    seats: Counter = Counter()
    tables: Counter = Counter()
    for a in result.assignments:
        tables[(a.slot, a.table)] += 1
        for pid in a.participants:
            seats[(pid, a.slot)] += 1
            assert a.slot not in away[pid], f"{pid} cannot attend slot {a.slot}"
    assert all(n == 1 for n in seats.values()), "a participant is double-booked"
    assert all(n == 1 for n in tables.values()), "a table holds two meetings at once"
    per_person = Counter(pid for a in result.assignments for pid in a.participants)
    assert all(per_person[pid] <= cap[pid] for pid in per_person)
    explained = {u.meeting_id for u in result.unplaced if u.reason}
    assert {a.meeting_id for a in result.assignments} | explained == {r["_id"] for r in accepted}
