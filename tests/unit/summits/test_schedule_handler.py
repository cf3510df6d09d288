"""Matching's schedule handler: a schedule.requested event becomes a valid schedule.published event."""

from datetime import UTC, datetime, timedelta

from services.contracts.envelope import Envelope, new_event
from services.contracts.summits import SchedulePublishedData, ScheduleRequestedData
from services.matching.schedule.model import Placement, Schedule, Unplaced
from services.matching.schedule.validate import violations
from services.matching.schedule_handler import instance_from, schedule_for

START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def request_data(previous: dict[str, tuple[int, int]] | None = None) -> dict:
    previous = previous or {}
    slots = [{"id": i, "start": START + timedelta(minutes=20 * i), "end": START + timedelta(minutes=20 * (i + 1))}
             for i in range(3)]
    people = [{"participant_id": p, "org_id": f"org_{p}", "unavailable_slots": [0] if p == "c" else []}
              for p in ("a", "b", "c", "d")]
    pairs = [("m1", "a", "b", 0.9), ("m2", "a", "c", 0.8), ("m3", "c", "d", 0.7), ("m4", "b", "d", 0.6)]
    meetings = [{"meeting_id": m, "a": a, "b": b, "score": s,
                 "previous_slot": previous.get(m, (None, None))[0], "previous_table": previous.get(m, (None, None))[1]}
                for m, a, b, s in pairs]
    return {"summit_id": "sum_1", "run": 1, "kind": "preliminary", "slots": slots,
            "tables": [{"id": 0, "name": "A1"}, {"id": 1, "name": "A2"}], "participants": people,
            "meetings": meetings, "max_meetings_per_participant": 2, "time_limit_s": 2.0, "requested_at": START}


async def test_a_requested_schedule_comes_back_published_with_every_meeting_placed_or_explained() -> None:
    event = new_event("schedule.requested", "sum_1", request_data(), source="/duijie/registry")
    published = await schedule_for(event)
    assert published is not None and published.type == "schedule.published" and published.subject == "sum_1"
    data = SchedulePublishedData.model_validate(published.data)
    placed = {a.meeting_id for a in data.assignments}
    assert placed | {u.meeting_id for u in data.unplaced} == {"m1", "m2", "m3", "m4"}
    assert data.participant_org_ids == ["org_a", "org_b", "org_c", "org_d"]
    assert data.bound is not None and data.objective <= data.bound + 1e-9 and data.gap is not None
    for a in data.assignments:
        assert a.start == START + timedelta(minutes=20 * a.slot) and a.table_name in ("A1", "A2")
        assert a.org_ids == [f"org_{p}" for p in a.participants]
    assert all(a.slot != 0 for a in data.assignments if "c" in a.participants), "c cannot attend slot 0"


async def test_the_published_schedule_respects_every_rule_of_the_instance() -> None:
    request = ScheduleRequestedData.model_validate(request_data())
    published = await schedule_for(new_event("schedule.requested", "sum_1", request, source="/duijie/registry"))
    assert published is not None
    data = SchedulePublishedData.model_validate(published.data)
    schedule = Schedule(assignments={a.meeting_id: Placement(a.slot, a.table) for a in data.assignments},
                        unplaced=tuple(Unplaced(u.meeting_id, u.reason) for u in data.unplaced),
                        objective=data.objective, bound=data.bound, gap=data.gap, solver=data.solver,
                        status=data.status, wall_seconds=data.wall_seconds, moved=data.moved)
    assert violations(instance_from(request), schedule) == []


async def test_a_replayed_request_republishes_the_same_event_id() -> None:
    event = new_event("schedule.requested", "sum_1", request_data(), source="/duijie/registry")
    first, second = await schedule_for(event), await schedule_for(event)
    assert first is not None and second is not None and first.id == second.id


async def test_previous_placements_reach_the_solver() -> None:
    instance = instance_from(ScheduleRequestedData.model_validate(request_data({"m1": (2, 1)})))
    assert instance.meeting_by_id["m1"].previous is not None
    assert (instance.meeting_by_id["m1"].previous.slot, instance.meeting_by_id["m1"].previous.table) == (2, 1)
    assert instance.meeting_by_id["m2"].previous is None
    assert instance.participant_by_id["c"].unavailable == frozenset({0})


async def test_other_summit_events_are_ignored() -> None:
    event = Envelope(id="e1", source="/duijie/registry", type="summit.created", time=START, subject="sum_1",
                     data={"anything": 1})
    assert await schedule_for(event) is None
