"""The summit scheduling problem as plain frozen dataclasses, and its single objective function.

A summit (对接会) has ordered time slots and interchangeable tables. Accepted meeting requests are
assigned to a (slot, table) pair. `evaluate()` is the one definition of the objective: both solvers'
schedules are scored with it, so their objectives are on the same scale (score units: a meeting with
match score 0.8 contributes 0.8; bonuses and penalties are expressed in the same units).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Literal

SCORE_POINTS = 1000
"""Integer points per unit of match score; the objective is computed exactly in points."""


@dataclass(frozen=True)
class Slot:
    id: int
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class Table:
    id: int
    name: str = ""


@dataclass(frozen=True)
class Participant:
    id: str
    org_id: str = ""
    unavailable: frozenset[int] = frozenset()
    max_meetings: int | None = None


@dataclass(frozen=True)
class Placement:
    slot: int
    table: int


@dataclass(frozen=True)
class MeetingRequest:
    """An accepted meeting request between participants `a` and `b`.

    `previous` is the placement in the last published schedule (for rescheduling); with
    `fixed=True` the organiser pinned the meeting there and solvers must keep it (unless the
    pin has become impossible, e.g. a participant is now unavailable: then it is movable).
    """

    id: str
    a: str
    b: str
    score: float
    previous: Placement | None = None
    fixed: bool = False


@dataclass(frozen=True)
class ObjectiveWeights:
    """Objective weights in points (`SCORE_POINTS` points = one unit of match score)."""

    participant_bonus: int = 2 * SCORE_POINTS
    """Per participant with at least one meeting; dominates a meeting's marginal score."""
    move_slot_penalty: int = 400
    """Per previously placed meeting that changes slot or is dropped."""
    move_table_penalty: int = 50
    """Per previously placed meeting that keeps its slot but changes table."""


@dataclass(frozen=True)
class SummitInstance:
    slots: tuple[Slot, ...]
    tables: tuple[Table, ...]
    participants: tuple[Participant, ...]
    meetings: tuple[MeetingRequest, ...]
    max_meetings_per_participant: int
    weights: ObjectiveWeights = field(default_factory=ObjectiveWeights)

    @cached_property
    def participant_by_id(self) -> dict[str, Participant]:
        return {p.id: p for p in self.participants}

    @cached_property
    def meeting_by_id(self) -> dict[str, MeetingRequest]:
        return {m.id: m for m in self.meetings}

    @cached_property
    def slot_ids(self) -> tuple[int, ...]:
        return tuple(s.id for s in self.slots)

    @cached_property
    def table_ids(self) -> tuple[int, ...]:
        return tuple(t.id for t in self.tables)

    def cap(self, participant_id: str) -> int:
        """The effective meeting cap of a participant (own cap and the summit-wide one)."""
        own = self.participant_by_id[participant_id].max_meetings
        summit = self.max_meetings_per_participant
        return summit if own is None else min(own, summit)

    def free_slots(self, participant_id: str) -> frozenset[int]:
        return frozenset(self.slot_ids) - self.participant_by_id[participant_id].unavailable

    def is_valid_request(self, meeting: MeetingRequest) -> bool:
        known = self.participant_by_id
        return meeting.a != meeting.b and meeting.a in known and meeting.b in known

    @cached_property
    def common_slots(self) -> dict[str, tuple[int, ...]]:
        """Meeting id -> slots in which both participants are available (in slot order)."""
        result: dict[str, tuple[int, ...]] = {}
        for m in self.meetings:
            if not self.is_valid_request(m):
                result[m.id] = ()
                continue
            both = self.free_slots(m.a) & self.free_slots(m.b)
            result[m.id] = tuple(s for s in self.slot_ids if s in both)
        return result

    @cached_property
    def pinned(self) -> dict[str, Placement]:
        """Fixed meetings whose pin is still honourable, in request order (the rest become movable)."""
        tables = set(self.table_ids)
        taken: set[tuple[int, int]] = set()
        busy: set[tuple[str, int]] = set()
        count: dict[str, int] = {}
        result: dict[str, Placement] = {}
        for m in self.meetings:
            where = m.previous
            if not m.fixed or where is None or where.slot not in self.common_slots[m.id]:
                continue
            if where.table not in tables or (where.slot, where.table) in taken:
                continue
            if (m.a, where.slot) in busy or (m.b, where.slot) in busy:
                continue
            if count.get(m.a, 0) >= self.cap(m.a) or count.get(m.b, 0) >= self.cap(m.b):
                continue
            taken.add((where.slot, where.table))
            busy.update({(m.a, where.slot), (m.b, where.slot)})
            count[m.a] = count.get(m.a, 0) + 1
            count[m.b] = count.get(m.b, 0) + 1
            result[m.id] = where
        return result

    @cached_property
    def previous_table_claims(self) -> dict[tuple[int, int], tuple[str, ...]]:
        """Previous (slot, table) -> movable meetings that last had it, in request order.

        Of the meetings of a claim that stay in the slot, the first one gets the table back; the
        others change table. A table is lost to all when it no longer exists or a pin now holds it.
        """
        tables = set(self.table_ids)
        pinned = {(p.slot, p.table) for p in self.pinned.values()}
        claims: dict[tuple[int, int], list[str]] = {}
        for m in self.meetings:
            where = m.previous
            if m.id in self.pinned or where is None or where.table not in tables:
                continue
            if (where.slot, where.table) not in pinned:
                claims.setdefault((where.slot, where.table), []).append(m.id)
        return {key: tuple(ids) for key, ids in claims.items()}

    @cached_property
    def may_keep_previous_table(self) -> frozenset[str]:
        return frozenset(i for ids in self.previous_table_claims.values() for i in ids)


def score_points(meeting: MeetingRequest) -> int:
    return round(min(max(meeting.score, 0.0), 1.0) * SCORE_POINTS)


@dataclass(frozen=True)
class ObjectiveBreakdown:
    score_points: int
    participants_with_meeting: int
    moved_slot: int
    """Previously placed meetings now in another slot or not placed at all."""
    moved_table: int
    points: int

    @property
    def objective(self) -> float:
        return self.points / SCORE_POINTS

    @property
    def moved(self) -> int:
        return self.moved_slot + self.moved_table


def evaluate(instance: SummitInstance, assignments: Mapping[str, Placement]) -> ObjectiveBreakdown:
    """The objective of a schedule: total match score + fairness bonus - rescheduling penalties."""
    w = instance.weights
    score = 0
    met: set[str] = set()
    for meeting_id in assignments:
        m = instance.meeting_by_id[meeting_id]
        score += score_points(m)
        met.update((m.a, m.b))
    moved_slot = moved_table = 0
    for m in instance.meetings:
        if m.previous is None:
            continue
        now = assignments.get(m.id)
        if now is None or now.slot != m.previous.slot:
            moved_slot += 1
        elif now.table != m.previous.table:
            moved_table += 1
    points = (
        score
        + w.participant_bonus * len(met)
        - w.move_slot_penalty * moved_slot
        - w.move_table_penalty * moved_table
    )
    return ObjectiveBreakdown(score, len(met), moved_slot, moved_table, points)


@dataclass(frozen=True)
class Unplaced:
    meeting_id: str
    reason: str


SolverName = Literal["cpsat", "greedy"]


@dataclass(frozen=True)
class Schedule:
    """A solved summit schedule. `objective` and `bound` are in score units (see `evaluate`)."""

    assignments: Mapping[str, Placement]
    unplaced: tuple[Unplaced, ...]
    objective: float
    bound: float | None
    gap: float | None
    solver: SolverName
    status: str
    wall_seconds: float
    moved: int
    participants_with_meeting: int = 0

    @property
    def scheduled(self) -> int:
        return len(self.assignments)


def relative_gap(objective: float, bound: float | None) -> float | None:
    if bound is None:
        return None
    return max(0.0, bound - objective) / max(abs(bound), 1e-9)
