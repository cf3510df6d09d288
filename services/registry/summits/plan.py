"""The shape of a summit, pure: sessions cut into slots, tables, availability; each problem named for a 422."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from services.registry.errors import Invalid

MAX_SLOTS = 400
MAX_TABLES = 2000
MAX_REQUEST_EXPIRY = timedelta(days=30)


@dataclass(frozen=True)
class Session:
    start: datetime
    end: datetime
    slot_minutes: int


@dataclass(frozen=True)
class SlotTime:
    id: int
    start: datetime
    end: datetime


def _when(t: datetime) -> str:
    return t.isoformat(timespec="minutes")


def slots_of(sessions: list[Session]) -> list[SlotTime]:
    """Slots numbered 0.. in time order across sessions. Raises Invalid naming the session that is wrong."""
    if not sessions:
        raise Invalid("a summit needs at least one session", field="sessions")
    order = sorted(range(len(sessions)), key=lambda i: sessions[i].start)
    for i, s in enumerate(sessions):
        if s.end <= s.start:
            raise Invalid(f"ends ({_when(s.end)}) before it starts ({_when(s.start)})", field=f"sessions[{i}]")
        minutes = (s.end - s.start) / timedelta(minutes=1)
        if minutes % s.slot_minutes:
            raise Invalid(f"lasts {minutes:g} minutes, which is not a whole number of {s.slot_minutes}-minute slots",
                          field=f"sessions[{i}]")
    for before, after in pairwise(order):
        if sessions[after].start < sessions[before].end:
            raise Invalid(f"overlaps sessions[{before}] ({_when(sessions[before].start)}–"
                          f"{_when(sessions[before].end)})", field=f"sessions[{after}]")
    count = sum((s.end - s.start) // timedelta(minutes=s.slot_minutes) for s in sessions)
    if count > MAX_SLOTS:  # counted before they are cut: a session of years would take seconds and gigabytes
        raise Invalid(f"the sessions make {count} slots; at most {MAX_SLOTS} are supported", field="sessions")
    slots: list[SlotTime] = []
    for i in order:
        s = sessions[i]
        step = timedelta(minutes=s.slot_minutes)
        t = s.start
        while t < s.end:
            slots.append(SlotTime(len(slots), t, t + step))
            t += step
    return slots


def table_names(count: int, names: list[str]) -> list[str]:
    if count < 1:
        raise Invalid("a summit needs at least one table", field="tables.count")
    if count > MAX_TABLES:
        raise Invalid(f"at most {MAX_TABLES} tables are supported", field="tables.count")
    if names and len(names) != count:
        raise Invalid(f"gives {len(names)} names for {count} tables", field="tables.names")
    if len(set(names)) != len(names):
        raise Invalid("two tables have the same name", field="tables.names")
    return names or [f"Table {i + 1}" for i in range(count)]


def check_window(opens: datetime, closes: datetime, slots: list[SlotTime]) -> None:
    if closes <= opens:
        raise Invalid("registration must close after it opens", field="registration_closes")
    if closes > slots[-1].end:
        raise Invalid(f"registration closes after the summit ends ({_when(slots[-1].end)})",
                      field="registration_closes")


def check_expiry(expiry: timedelta) -> int:
    if expiry <= timedelta(0):
        raise Invalid("must be a positive duration, e.g. PT6H or P3D", field="request_expiry")
    if expiry > MAX_REQUEST_EXPIRY:
        raise Invalid("must be at most 30 days (P30D)", field="request_expiry")
    return int(expiry.total_seconds())


def unavailable_slots(slots: list[SlotTime], slot_ids: list[int],
                      windows: list[tuple[datetime, datetime]]) -> list[int]:
    """Slots a participant cannot attend, from slot ids and/or time windows; both must lie within the summit."""
    known = {s.id for s in slots}
    for i, slot_id in enumerate(slot_ids):
        if slot_id not in known:
            raise Invalid(f"slot {slot_id} is not a slot of this summit (its slots are 0–{len(slots) - 1})",
                          field=f"unavailable_slots[{i}]")
    first, last = slots[0].start, slots[-1].end
    out = set(slot_ids)
    for i, (start, end) in enumerate(windows):
        if end <= start:
            raise Invalid("ends before it starts", field=f"unavailable_windows[{i}]")
        if start < first or end > last:
            raise Invalid(f"lies outside the summit ({_when(first)}–{_when(last)})", field=f"unavailable_windows[{i}]")
        out.update(s.id for s in slots if s.start < end and start < s.end)
    return sorted(out)


def summit_span(slots: list[SlotTime]) -> tuple[datetime, datetime]:
    return slots[0].start, slots[-1].end
