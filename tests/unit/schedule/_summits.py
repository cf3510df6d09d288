"""Small summit builders shared by the scheduler tests."""

from __future__ import annotations

from dataclasses import replace

from services.matching.schedule.model import (
    MeetingRequest,
    Participant,
    Placement,
    Schedule,
    Slot,
    SummitInstance,
    Table,
)


def summit(
    meetings: list[tuple[str, str, float]],
    *,
    slots: int = 3,
    tables: int = 5,
    cap: int = 8,
    unavailable: dict[str, set[int]] | None = None,
    caps: dict[str, int] | None = None,
) -> SummitInstance:
    """A summit from (a, b, score) triples; meeting ids are M0, M1, ... in order."""
    unavailable = unavailable or {}
    caps = caps or {}
    names = sorted({name for a, b, _ in meetings for name in (a, b)} | set(unavailable) | set(caps))
    people = tuple(
        Participant(name, f"org-{name}", frozenset(unavailable.get(name, set())), caps.get(name))
        for name in names
    )
    requests = tuple(MeetingRequest(f"M{i}", a, b, score) for i, (a, b, score) in enumerate(meetings))
    return SummitInstance(
        tuple(Slot(i) for i in range(slots)),
        tuple(Table(i, f"T{i + 1}") for i in range(tables)),
        people,
        requests,
        cap,
    )


def with_previous(instance: SummitInstance, schedule: Schedule) -> SummitInstance:
    """The instance with `schedule` recorded as every meeting's previous placement."""
    meetings = tuple(replace(m, previous=schedule.assignments.get(m.id)) for m in instance.meetings)
    return replace(instance, meetings=meetings)


def add_meeting(instance: SummitInstance, meeting: MeetingRequest) -> SummitInstance:
    return replace(instance, meetings=(*instance.meetings, meeting))


def make_unavailable(instance: SummitInstance, participant_id: str, slot: int) -> SummitInstance:
    people = tuple(
        replace(p, unavailable=p.unavailable | {slot}) if p.id == participant_id else p
        for p in instance.participants
    )
    return replace(instance, participants=people)


def pin(instance: SummitInstance, meeting_id: str, where: Placement) -> SummitInstance:
    meetings = tuple(
        replace(m, previous=where, fixed=True) if m.id == meeting_id else m for m in instance.meetings
    )
    return replace(instance, meetings=meetings)
