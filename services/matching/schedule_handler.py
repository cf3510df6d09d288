"""Matching's side of summits: `schedule.requested` in, solve off the event loop, `schedule.published` out.

The request carries the whole instance, so solving needs no lookups. The published event's id is derived
from the summit and the run, so a replayed request republishes the same event (consumers de-duplicate).
"""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from faststream.kafka import KafkaBroker

from services.contracts import topics
from services.contracts.envelope import Envelope, deterministic_id, new_event
from services.contracts.summits import ScheduleRequestedData
from services.contracts.wire import encode, record_headers
from services.matching.schedule.model import (
    MeetingRequest,
    Participant,
    Placement,
    Schedule,
    Slot,
    SummitInstance,
    Table,
)
from services.matching.schedule.solve import solve

Solver = Callable[[SummitInstance, float], Schedule]


def instance_from(request: ScheduleRequestedData) -> SummitInstance:
    """The scheduler's instance from the event: ids, availability, caps and previous placements."""
    meetings = []
    for m in request.meetings:
        previous = None
        if m.previous_slot is not None and m.previous_table is not None:
            previous = Placement(m.previous_slot, m.previous_table)
        meetings.append(MeetingRequest(m.meeting_id, m.a, m.b, m.score, previous, m.fixed))
    return SummitInstance(
        slots=tuple(Slot(s.id, s.start, s.end) for s in request.slots),
        tables=tuple(Table(t.id, t.name) for t in request.tables),
        participants=tuple(Participant(p.participant_id, p.org_id, frozenset(p.unavailable_slots), p.max_meetings)
                           for p in request.participants),
        meetings=tuple(meetings),
        max_meetings_per_participant=request.max_meetings_per_participant,
    )


def published_data(request: ScheduleRequestedData, instance: SummitInstance, schedule: Schedule,
                   at: datetime) -> dict:
    slots = {s.id: s for s in instance.slots}
    tables = {t.id: t for t in instance.tables}
    people = instance.participant_by_id
    assignments = []
    for meeting_id, where in sorted(schedule.assignments.items(), key=lambda kv: (kv[1].slot, kv[1].table)):
        m = instance.meeting_by_id[meeting_id]
        slot = slots[where.slot]
        assignments.append({
            "meeting_id": meeting_id, "slot": where.slot, "table": where.table,
            "table_name": tables[where.table].name, "start": slot.start, "end": slot.end,
            "participants": [m.a, m.b], "org_ids": [people[m.a].org_id, people[m.b].org_id]})
    return {
        "summit_id": request.summit_id, "run": request.run, "kind": request.kind, "assignments": assignments,
        "unplaced": [{"meeting_id": u.meeting_id, "reason": u.reason} for u in schedule.unplaced],
        "objective": schedule.objective, "bound": schedule.bound, "gap": schedule.gap, "solver": schedule.solver,
        "status": schedule.status, "wall_seconds": round(schedule.wall_seconds, 3), "moved": schedule.moved,
        "participants_with_meeting": schedule.participants_with_meeting,
        "participant_org_ids": sorted({p.org_id for p in instance.participants}),
        "published_at": at,
    }


def default_solver(instance: SummitInstance, time_limit_s: float) -> Schedule:
    return solve(instance, time_limit_s=time_limit_s, prefer="cpsat")


async def schedule_for(event: Envelope, solver: Solver = default_solver) -> Envelope | None:
    """The schedule.published event answering a schedule.requested event (None for other summit events)."""
    if event.type != "schedule.requested":
        return None
    request = ScheduleRequestedData.model_validate(event.data)
    instance = instance_from(request)
    schedule = await asyncio.to_thread(solver, instance, request.time_limit_s)
    data = published_data(request, instance, schedule, datetime.now(UTC))
    return new_event("schedule.published", request.summit_id, data, source="/duijie/matching",
                     event_id=deterministic_id("schedule.published", request.summit_id, request.run, event.id))


async def on_summit_event(broker: KafkaBroker, prefix: str, event: Envelope, source: str = "/duijie/matching",
                          solver: Solver = default_solver) -> Envelope | None:
    published = await schedule_for(event, solver)
    if published is None:
        return None
    published = published.model_copy(update={"source": source})
    await broker.publish(encode(published), topics.named(topics.SCHEDULES, prefix), key=published.key(),
                         headers=record_headers(published.type, published.id))
    return published
