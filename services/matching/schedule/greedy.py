"""Fast greedy summit scheduler: the fallback, and the hint handed to CP-SAT.

Order of work: pinned meetings; meetings kept in their previous slot; one meeting for every
participant still without one (scarcest first); the rest by match score; then a repair pass that
places left-over meetings by moving one blocking meeting to another slot.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from services.matching.schedule.assemble import build_schedule
from services.matching.schedule.model import MeetingRequest, Schedule, SummitInstance, score_points

_TABLE_REPAIR_TRIES = 25
"""Meetings tried per full slot when freeing a table for a left-over meeting."""


class Board:
    """The slot plan under construction: who is busy when, how many tables each slot uses."""

    def __init__(self, instance: SummitInstance) -> None:
        self.instance = instance
        self.tables = len(instance.tables)
        self.busy: dict[str, set[int]] = {p.id: set() for p in instance.participants}
        self.count: dict[str, int] = {p.id: 0 for p in instance.participants}
        self.used: dict[int, int] = dict.fromkeys(instance.slot_ids, 0)
        self.slot_of: dict[str, int] = {}
        self.in_slot: dict[int, set[str]] = {s: set() for s in instance.slot_ids}
        self.at: dict[tuple[str, int], str] = {}
        """(participant, slot) -> the meeting the participant has there."""

    def fits(self, m: MeetingRequest, slot: int) -> bool:
        return (
            m.id not in self.slot_of
            and slot in self.instance.common_slots[m.id]
            and self.used[slot] < self.tables
            and slot not in self.busy[m.a]
            and slot not in self.busy[m.b]
            and self.count[m.a] < self.instance.cap(m.a)
            and self.count[m.b] < self.instance.cap(m.b)
        )

    def place(self, m: MeetingRequest, slot: int) -> None:
        self.slot_of[m.id] = slot
        self.in_slot[slot].add(m.id)
        self.used[slot] += 1
        for pid in (m.a, m.b):
            self.busy[pid].add(slot)
            self.count[pid] += 1
            self.at[pid, slot] = m.id

    def remove(self, m: MeetingRequest) -> int:
        slot = self.slot_of.pop(m.id)
        self.in_slot[slot].discard(m.id)
        self.used[slot] -= 1
        for pid in (m.a, m.b):
            self.busy[pid].discard(slot)
            self.count[pid] -= 1
            self.at.pop((pid, slot), None)
        return slot

    def penalty(self, m: MeetingRequest, slot: int | None) -> int:
        """Rescheduling penalty (points) of having `m` in `slot` (None: not placed)."""
        w = self.instance.weights
        if m.previous is None:
            return 0
        if slot != m.previous.slot:
            return w.move_slot_penalty
        return 0 if m.id in self.instance.may_keep_previous_table else w.move_table_penalty

    def gain(self, m: MeetingRequest, slot: int) -> int:
        """Objective change (points) of placing the unplaced meeting `m` in `slot`."""
        new = sum(1 for pid in (m.a, m.b) if self.count[pid] == 0)
        return (score_points(m) + self.instance.weights.participant_bonus * new
                + self.penalty(m, None) - self.penalty(m, slot))


class _Demand:
    """How many still-unplaced meetings of each participant could use each slot."""

    def __init__(self, instance: SummitInstance, pending: list[MeetingRequest]) -> None:
        self.instance = instance
        self.by: dict[str, dict[int, int]] = {p.id: {} for p in instance.participants}
        for m in pending:
            self._add(m, 1)

    def _add(self, m: MeetingRequest, sign: int) -> None:
        for pid in (m.a, m.b):
            row = self.by[pid]
            for s in self.instance.common_slots[m.id]:
                row[s] = row.get(s, 0) + sign

    def done(self, m: MeetingRequest) -> None:
        self._add(m, -1)

    def pressure(self, m: MeetingRequest, slot: int) -> int:
        return self.by[m.a].get(slot, 0) + self.by[m.b].get(slot, 0)


def _best_slot(board: Board, demand: _Demand, m: MeetingRequest) -> int | None:
    options = [s for s in board.instance.common_slots[m.id] if board.fits(m, s)]
    if not options:
        return None
    return min(options, key=lambda s: (-board.gain(m, s), demand.pressure(m, s), board.used[s], s))


def _place_best(board: Board, demand: _Demand, m: MeetingRequest) -> bool:
    slot = _best_slot(board, demand, m)
    if slot is None:
        return False
    board.place(m, slot)
    demand.done(m)
    return True


def _relocate(board: Board, blocker: MeetingRequest, away_from: int) -> tuple[int, int] | None:
    """Move `blocker` out of `away_from`; return (new slot, penalty change) or None (board unchanged)."""
    before = board.penalty(blocker, away_from)
    board.remove(blocker)
    common = board.instance.common_slots[blocker.id]
    options = [s for s in common if s != away_from and board.fits(blocker, s)]
    if not options:
        board.place(blocker, away_from)
        return None
    slot = min(options, key=lambda s: (board.penalty(blocker, s), board.used[s], s))
    board.place(blocker, slot)
    return slot, board.penalty(blocker, slot) - before


def _repair(board: Board, m: MeetingRequest) -> bool:
    """Place `m` by moving one blocking meeting elsewhere, if that improves the objective."""
    inst = board.instance
    if board.count[m.a] >= inst.cap(m.a) or board.count[m.b] >= inst.cap(m.b):
        return False
    spare = any(board.used[s] < board.tables for s in inst.slot_ids)
    for slot in inst.common_slots[m.id]:
        mine = sorted({x for pid in (m.a, m.b) if (x := board.at.get((pid, slot))) is not None})
        if len(mine) > 1 or (not mine and (not spare or board.used[slot] < board.tables)):
            continue  # two blockers, or no table to free elsewhere, or it would already fit
        if mine and mine[0] in inst.pinned:
            continue
        others = sorted(x for x in board.in_slot[slot] if x not in inst.pinned)
        candidates = mine or others[:_TABLE_REPAIR_TRIES]
        for x in candidates:
            blocker = inst.meeting_by_id[x]
            moved = _relocate(board, blocker, slot)
            if moved is None:
                continue
            if board.fits(m, slot) and board.gain(m, slot) - moved[1] > 0:
                board.place(m, slot)
                return True
            board.remove(blocker)
            board.place(blocker, slot)
    return False


def _loss(board: Board, x: MeetingRequest) -> int:
    """Objective change (points, positive = worse) of dropping the placed meeting `x`."""
    alone = sum(1 for pid in (x.a, x.b) if board.count[pid] == 1)
    slot = board.slot_of[x.id]
    return (score_points(x) + board.instance.weights.participant_bonus * alone
            + board.penalty(x, None) - board.penalty(x, slot))


def _swap(board: Board, m: MeetingRequest) -> bool:
    """Place `m` instead of one lower-valued meeting of its slot, if that improves the objective."""
    inst = board.instance
    best: tuple[int, str, int] | None = None  # (objective change, dropped meeting, slot)
    for slot in inst.common_slots[m.id]:
        mine = {x for pid in (m.a, m.b) if (x := board.at.get((pid, slot))) is not None}
        if len(mine) > 1 or (not mine and board.used[slot] < board.tables) or mine & inst.pinned.keys():
            continue
        if mine:
            candidate = mine.pop()
        else:  # a table is what is missing: the cheapest meeting of the slot can give it up
            movable = [x for x in board.in_slot[slot] if x not in inst.pinned]
            if not movable:
                continue
            candidate = min(movable, key=lambda x: (_loss(board, inst.meeting_by_id[x]), x))
        dropped = inst.meeting_by_id[candidate]
        loss = _loss(board, dropped)
        board.remove(dropped)
        if board.fits(m, slot):
            change = board.gain(m, slot) - loss
            if change > 0 and (best is None or change > best[0]):
                best = (change, candidate, slot)
        board.place(dropped, slot)
    if best is None:
        return False
    board.remove(inst.meeting_by_id[best[1]])
    board.place(m, best[2])
    return True


def greedy_slots(instance: SummitInstance, seed: Mapping[str, int] | None = None) -> dict[str, int]:
    """The greedy slot for every meeting it manages to place (meeting id -> slot id).

    `seed` (e.g. a rounded LP solution) is placed first, in its iteration order, where it fits.
    """
    board = Board(instance)
    for meeting_id, pin in instance.pinned.items():
        board.place(instance.meeting_by_id[meeting_id], pin.slot)
    for meeting_id, slot in (seed or {}).items():
        m = instance.meeting_by_id[meeting_id]
        if board.fits(m, slot):
            board.place(m, slot)
    movable = [m for m in instance.meetings if m.id not in instance.pinned and instance.common_slots[m.id]]
    by_score = sorted(movable, key=lambda m: -score_points(m))
    for m in by_score:
        if m.previous is not None and board.fits(m, m.previous.slot):
            board.place(m, m.previous.slot)
    pending = [m for m in by_score if m.id not in board.slot_of]
    demand = _Demand(instance, pending)

    requests_of: dict[str, list[MeetingRequest]] = {p.id: [] for p in instance.participants}
    for m in pending:
        requests_of[m.a].append(m)
        requests_of[m.b].append(m)
    for pid in sorted(requests_of, key=lambda p: (len(requests_of[p]), p)):
        if board.count[pid] > 0:
            continue
        options = sorted(requests_of[pid],
                         key=lambda m: (board.count[m.b if m.a == pid else m.a] > 0, -score_points(m)))
        for m in options:
            if _place_best(board, demand, m):
                break
    for m in pending:
        if m.id not in board.slot_of:
            _place_best(board, demand, m)
    for m in sorted(pending, key=lambda m: (board.count[m.a] > 0 and board.count[m.b] > 0, -score_points(m))):
        if m.id not in board.slot_of and not _repair(board, m):
            _swap(board, m)
    return dict(board.slot_of)


def solve_greedy(instance: SummitInstance) -> Schedule:
    started = time.perf_counter()
    slot_of = greedy_slots(instance)
    return build_schedule(instance, slot_of, solver="greedy", status="FEASIBLE", bound_points=None,
                          wall_seconds=time.perf_counter() - started)
