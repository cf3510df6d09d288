"""A reproducible synthetic summit: popular participants, partial availability, scored requests."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from services.matching.schedule.model import MeetingRequest, Participant, Slot, SummitInstance, Table

SUMMIT_START = datetime(2025, 6, 12, 9, 0)
SLOT_MINUTES = 20


def synthetic_summit(
    participants: int,
    requests: int,
    slots: int,
    tables: int,
    seed: int,
    cap: int = 8,
    unavailable_share: tuple[float, float] = (0.10, 0.20),
) -> SummitInstance:
    """Build a summit instance from a seeded RNG.

    Each participant is unavailable in 10-20% of the slots; request pairs are drawn with a
    Zipf-like popularity so a few participants are in high demand; scores are in [0, 1].
    Participants of the same organisation never request each other.
    """
    if participants < 2:
        raise ValueError("a summit needs at least two participants")
    rng = random.Random(seed)
    slot_list = tuple(
        Slot(i, SUMMIT_START + timedelta(minutes=SLOT_MINUTES * i),
             SUMMIT_START + timedelta(minutes=SLOT_MINUTES * (i + 1)))
        for i in range(slots)
    )
    table_list = tuple(Table(i, f"T{i + 1:03d}") for i in range(tables))
    orgs = max(1, participants // 3)
    people: list[Participant] = []
    for i in range(participants):
        share = rng.uniform(*unavailable_share)
        away = frozenset(rng.sample(range(slots), min(slots, round(share * slots))))
        people.append(Participant(f"P{i:04d}", f"O{rng.randrange(orgs):04d}", away))
    popularity = [1.0 / (rank + 1) ** 0.7 for rank in range(participants)]
    order = list(range(participants))
    rng.shuffle(order)
    weights = [popularity[order[i]] for i in range(participants)]
    pairs: set[tuple[int, int]] = set()
    meetings: list[MeetingRequest] = []
    attempts = 0
    while len(meetings) < requests and attempts < requests * 50:
        attempts += 1
        a = rng.randrange(participants)  # the requester: anyone
        b = rng.choices(range(participants), weights=weights)[0]  # the requested: skewed to popular
        key = (min(a, b), max(a, b))
        if a == b or key in pairs or people[a].org_id == people[b].org_id:
            continue
        pairs.add(key)
        score = round(min(1.0, max(0.0, rng.betavariate(2.0, 2.5))), 3)
        meetings.append(MeetingRequest(f"M{len(meetings):05d}", people[a].id, people[b].id, score))
    return SummitInstance(slot_list, table_list, tuple(people), tuple(meetings), cap)
