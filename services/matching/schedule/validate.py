"""Check a schedule against its summit instance; an empty list means the schedule is valid."""

from __future__ import annotations

from collections import Counter

from services.matching.schedule.model import Schedule, SummitInstance, evaluate


def violations(instance: SummitInstance, schedule: Schedule) -> list[str]:
    """Every broken rule, in words: double-booking, availability, tables, caps, pins, bookkeeping."""
    found: list[str] = []
    slots, tables = set(instance.slot_ids), set(instance.table_ids)
    if len(instance.meeting_by_id) != len(instance.meetings):
        found.append("meeting ids are not unique")
    seen_at: dict[tuple[str, int], str] = {}
    table_at: dict[tuple[int, int], str] = {}
    count: Counter[str] = Counter()
    for meeting_id, where in schedule.assignments.items():
        m = instance.meeting_by_id.get(meeting_id)
        if m is None:
            found.append(f"{meeting_id}: not an accepted meeting of this summit")
            continue
        if not instance.is_valid_request(m):
            found.append(f"{meeting_id}: invalid request placed")
            continue
        if where.slot not in slots:
            found.append(f"{meeting_id}: unknown slot {where.slot}")
        if where.table not in tables:
            found.append(f"{meeting_id}: unknown table {where.table}")
        other = table_at.setdefault((where.slot, where.table), meeting_id)
        if other != meeting_id:
            found.append(f"{meeting_id}: table {where.table} in slot {where.slot} already holds {other}")
        for pid in (m.a, m.b):
            if where.slot in instance.participant_by_id[pid].unavailable:
                found.append(f"{meeting_id}: participant {pid} is unavailable in slot {where.slot}")
            other = seen_at.setdefault((pid, where.slot), meeting_id)
            if other != meeting_id:
                found.append(f"{meeting_id}: participant {pid} is double-booked in slot {where.slot} "
                             f"(also {other})")
            count[pid] += 1
    for pid, n in sorted(count.items()):
        if n > instance.cap(pid):
            found.append(f"participant {pid} has {n} meetings, above the cap of {instance.cap(pid)}")
    for meeting_id, pin in instance.pinned.items():
        if schedule.assignments.get(meeting_id) != pin:
            found.append(f"{meeting_id}: pinned to slot {pin.slot} table {pin.table} but moved")
    unplaced = [u.meeting_id for u in schedule.unplaced]
    if len(set(unplaced)) != len(unplaced):
        found.append("a meeting is listed as unplaced more than once")
    both = set(unplaced) & set(schedule.assignments)
    if both:
        found.append(f"meetings both placed and unplaced: {sorted(both)}")
    missing = set(instance.meeting_by_id) - set(unplaced) - set(schedule.assignments)
    if missing:
        found.append(f"meetings neither placed nor explained: {sorted(missing)}")
    if not found:
        value = evaluate(instance, schedule.assignments)
        if abs(value.objective - schedule.objective) > 1e-9:
            found.append(f"reported objective {schedule.objective} differs from {value.objective}")
        if value.moved != schedule.moved:
            found.append(f"reported moved {schedule.moved} differs from {value.moved}")
        if schedule.bound is not None and schedule.bound < schedule.objective - 1e-9:
            found.append(f"bound {schedule.bound} below objective {schedule.objective}")
    return found
