"""Concrete table assignment once each meeting has a slot (tables are otherwise interchangeable)."""

from __future__ import annotations

from collections.abc import Mapping

from services.matching.schedule.model import Placement, SummitInstance


def assign_tables(instance: SummitInstance, slot_of: Mapping[str, int]) -> dict[str, Placement]:
    """Give every meeting in `slot_of` a table in its slot.

    Pinned meetings take their pinned table, then meetings staying in their previous slot take
    their previous table when it is theirs to keep, then the rest take the lowest free tables.
    Raises ValueError if a slot holds more meetings than there are tables.
    """
    by_slot: dict[int, list[str]] = {}
    for m in instance.meetings:  # request order keeps the result deterministic
        if m.id in slot_of:
            by_slot.setdefault(slot_of[m.id], []).append(m.id)
    result: dict[str, Placement] = {}
    for slot, meeting_ids in by_slot.items():
        if len(meeting_ids) > len(instance.tables):
            raise ValueError(f"slot {slot} holds {len(meeting_ids)} meetings but there are only "
                             f"{len(instance.tables)} tables")
        taken: set[int] = set()
        waiting: list[str] = []
        for meeting_id in meeting_ids:
            pin = instance.pinned.get(meeting_id)
            if pin is not None and pin.slot == slot:
                result[meeting_id] = pin
                taken.add(pin.table)
        for meeting_id in meeting_ids:
            if meeting_id in result:
                continue
            previous = instance.meeting_by_id[meeting_id].previous
            if (
                previous is not None
                and previous.slot == slot
                and meeting_id in instance.may_keep_previous_table
                and previous.table not in taken
            ):
                result[meeting_id] = previous
                taken.add(previous.table)
            else:
                waiting.append(meeting_id)
        free = iter(t for t in instance.table_ids if t not in taken)
        for meeting_id in waiting:
            result[meeting_id] = Placement(slot, next(free))
    return result
