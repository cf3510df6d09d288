"""Why a meeting could not be placed, in words an organiser understands."""

from __future__ import annotations

from collections.abc import Mapping

from services.matching.schedule.model import MeetingRequest, Placement, SummitInstance, Unplaced


def _reason(
    instance: SummitInstance,
    meeting: MeetingRequest,
    busy: set[tuple[str, int]],
    count: dict[str, int],
    used: dict[int, int],
) -> str:
    if meeting.a == meeting.b:
        return f"participant {meeting.a} cannot meet themselves"
    for pid in (meeting.a, meeting.b):
        if pid not in instance.participant_by_id:
            return f"participant {pid} is not registered for the summit"
    for pid in (meeting.a, meeting.b):
        if not instance.free_slots(pid):
            return f"participant {pid} is unavailable in every slot"
    common = instance.common_slots[meeting.id]
    if not common:
        return f"participant {meeting.a} has no common free slot with {meeting.b}"
    for pid in (meeting.a, meeting.b):
        cap = instance.cap(pid)
        if count.get(pid, 0) >= cap:
            return f"cap of {cap} meetings reached for {pid}"
    tables = len(instance.tables)
    if all(used.get(s, 0) >= tables for s in common):
        return "no table free in any common slot"
    open_slots = [s for s in common if used.get(s, 0) < tables]
    if all((meeting.a, s) in busy and (meeting.b, s) not in busy for s in open_slots):
        return f"participant {meeting.a} already has a meeting in every common slot with a free table"
    if all((meeting.b, s) in busy and (meeting.a, s) not in busy for s in open_slots):
        return f"participant {meeting.b} already has a meeting in every common slot with a free table"
    return (f"participants {meeting.a} and {meeting.b} have other meetings in every common slot with a "
            "free table (not placed in favour of higher-valued meetings)")


def explain_unplaced(instance: SummitInstance, assignments: Mapping[str, Placement]) -> tuple[Unplaced, ...]:
    busy: set[tuple[str, int]] = set()
    count: dict[str, int] = {}
    used: dict[int, int] = {}
    for meeting_id, where in assignments.items():
        m = instance.meeting_by_id[meeting_id]
        for pid in (m.a, m.b):
            busy.add((pid, where.slot))
            count[pid] = count.get(pid, 0) + 1
        used[where.slot] = used.get(where.slot, 0) + 1
    return tuple(
        Unplaced(m.id, _reason(instance, m, busy, count, used))
        for m in instance.meetings
        if m.id not in assignments
    )
