"""A summit's shape: sessions cut into slots, tables, availability; every problem is a 422 naming its field."""

from datetime import UTC, datetime, timedelta

import pytest

from services.registry.errors import Invalid
from services.registry.summits import plan

NINE = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)  # 09:00 in Changsha


def session(start_h: float, hours: float, minutes: int = 20) -> plan.Session:
    start = NINE + timedelta(hours=start_h)
    return plan.Session(start, start + timedelta(hours=hours), minutes)


def test_sessions_are_cut_into_numbered_slots_in_time_order() -> None:
    slots = plan.slots_of([session(5, 1, 30), session(0, 1, 20)])
    assert [s.id for s in slots] == list(range(5))
    assert slots[0].start == NINE and slots[2].end == NINE + timedelta(hours=1)
    assert slots[3].start == NINE + timedelta(hours=5) and slots[3].end - slots[3].start == timedelta(minutes=30)


@pytest.mark.parametrize(("sessions", "field", "words"), [
    ([session(0, 2), session(1, 2)], "sessions[1]", "overlaps sessions[0]"),
    ([session(0, 1, 30), session(0.5, 1, 30)], "sessions[1]", "overlaps"),
    ([session(0, 50 / 60, 20)], "sessions[0]", "not a whole number of 20-minute slots"),
    ([session(0, -1)], "sessions[0]", "before it starts"),
    ([], "sessions", "at least one session"),
])
def test_bad_sessions_are_named(sessions: list[plan.Session], field: str, words: str) -> None:
    with pytest.raises(Invalid) as error:
        plan.slots_of(sessions)
    assert error.value.field == field and words in error.value.message and error.value.status_code == 422


def test_tables_need_at_least_one_and_one_name_each() -> None:
    assert plan.table_names(3, []) == ["Table 1", "Table 2", "Table 3"]
    assert plan.table_names(2, ["A1", "A2"]) == ["A1", "A2"]
    for count, names, field in ((0, [], "tables.count"), (2, ["A1"], "tables.names"), (2, ["A", "A"], "tables.names")):
        with pytest.raises(Invalid) as error:
            plan.table_names(count, names)
        assert error.value.field == field


def test_availability_outside_the_summit_is_refused() -> None:
    slots = plan.slots_of([session(0, 2)])  # 6 slots, 09:00–11:00
    assert plan.unavailable_slots(slots, [1], [(NINE + timedelta(minutes=50), NINE + timedelta(minutes=70))]) == [
        1, 2, 3]
    with pytest.raises(Invalid) as error:
        plan.unavailable_slots(slots, [6], [])
    assert error.value.field == "unavailable_slots[0]" and "not a slot of this summit" in error.value.message
    with pytest.raises(Invalid) as error:
        plan.unavailable_slots(slots, [], [(NINE - timedelta(hours=1), NINE + timedelta(minutes=10))])
    assert error.value.field == "unavailable_windows[0]" and "outside the summit" in error.value.message


def test_request_expiry_and_registration_window() -> None:
    assert plan.check_expiry(timedelta(hours=6)) == 6 * 3600
    for bad in (timedelta(0), timedelta(days=31)):
        with pytest.raises(Invalid):
            plan.check_expiry(bad)
    slots = plan.slots_of([session(0, 2)])
    with pytest.raises(Invalid) as error:
        plan.check_window(NINE, NINE - timedelta(days=1), slots)
    assert error.value.field == "registration_closes"
    with pytest.raises(Invalid):
        plan.check_window(NINE - timedelta(days=9), NINE + timedelta(days=1), slots)


def test_too_many_slots_are_refused_before_they_are_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """A session of 150 years (15-minute slots) is a 422 at once, not seconds of work and gigabytes of slots."""
    cut = []

    def slot(*args: object) -> plan.SlotTime:
        cut.append(args)
        assert len(cut) <= plan.MAX_SLOTS, "cutting slots past the limit"
        return plan.SlotTime(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(plan, "SlotTime", slot)
    with pytest.raises(Invalid) as error:
        plan.slots_of([session(0, 150 * 365 * 24, 15)])
    assert error.value.field == "sessions" and "5256000 slots" in error.value.message and cut == []
