"""Agendas: an .ics a calendar parser reads with one event per placed meeting, and printable HTML pages."""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from services.registry.summits import agenda
from services.registry.summits.followups import prompts_for

START = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)
SUMMIT = {"_id": "sum_1", "title": "种业对接会", "venue": "长沙国际会展中心", "timezone": "Asia/Shanghai",
          "tables": [{"id": 0, "name": "A1"}, {"id": 1, "name": "A2"}],
          "schedule": {"kind": "final"}}
PEOPLE = {"p1": {"_id": "p1", "name": "李明", "org_id": "o1", "position": "技术总监"},
          "p2": {"_id": "p2", "name": "王教授", "org_id": "o2"},
          "p3": {"_id": "p3", "name": "赵经理 <b>", "org_id": "o3"}}
NAMES = {"o1": "隆平种业", "o2": "湖南农业大学", "o3": "长沙科技银行"}


def meeting(mid: str, a: str, b: str, slot: int, table: int, status: str = "scheduled") -> dict:
    start = START + timedelta(minutes=20 * slot)
    return {"_id": mid, "participant_ids": [a, b], "org_ids": [PEOPLE[a]["org_id"], PEOPLE[b]["org_id"]],
            "slot": slot, "table": table, "table_name": SUMMIT["tables"][table]["name"], "start": start,
            "end": start + timedelta(minutes=20), "status": status, "schedule_kind": "final", "summit_id": "sum_1"}


MEETINGS = [meeting("m2", "p3", "p1", 2, 1), meeting("m1", "p1", "p2", 0, 0),
            {**meeting("m3", "p1", "p3", 4, 0), "status": "unplaced", "start": None, "end": None}]


def test_the_calendar_has_one_event_per_placed_meeting_in_utc() -> None:
    raw = agenda.participant_calendar(SUMMIT, PEOPLE["p1"], MEETINGS, PEOPLE, NAMES, START)
    events = Calendar.from_ical(raw).walk("VEVENT")
    assert [e.decoded("dtstart") for e in events] == [START, START + timedelta(minutes=40)]
    assert [str(e["uid"]) for e in events] == ["m1.p1@duijie", "m2.p1@duijie"]
    assert "王教授" in str(events[0]["summary"]) and "湖南农业大学" in str(events[0]["summary"])
    assert str(events[1]["location"]).endswith("A2") and str(events[0]["status"]) == "CONFIRMED"


def test_the_printable_pages_show_local_times_and_escape_names() -> None:
    page = agenda.participant_html(SUMMIT, PEOPLE["p1"], MEETINGS, PEOPLE, NAMES)
    assert page.index("09:00") < page.index("09:40"), "in the summit's time zone, in time order"
    assert "赵经理 &lt;b&gt;" in page and "<b>" not in page
    assert "Final schedule" in page
    table = agenda.table_html(SUMMIT, SUMMIT["tables"][1], MEETINGS, PEOPLE, NAMES)
    assert "Table A2" in table and "09:40" in table and "09:00" not in table


def test_a_held_meeting_prompts_both_sides_at_7_30_and_90_days() -> None:
    held = meeting("m1", "p1", "p2", 0, 0, "held")
    prompts = prompts_for(held, held["end"])
    assert sorted((p["org_id"], p["days_after"]) for p in prompts) == [
        ("o1", 7), ("o1", 30), ("o1", 90), ("o2", 7), ("o2", 30), ("o2", 90)]
    assert all(p["due_at"] == held["end"] + timedelta(days=p["days_after"]) for p in prompts)
    assert [p["_id"] for p in prompts] == [p["_id"] for p in prompts_for(held, held["end"])], "ids are derived"
