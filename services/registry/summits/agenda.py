"""Agendas, pure: an iCalendar file and a printable HTML page per participant, and a page per table.

Inputs are the stored documents (summit, meetings, participants by id, organisation names by id). Times are
written in UTC in the .ics (every calendar converts them) and in the summit's time zone on paper.
"""

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

SHOWN = ("scheduled", "held", "missed")
STYLE = """body{font-family:"Noto Sans SC","Microsoft YaHei",sans-serif;margin:2em;color:#111}
h1{font-size:1.4em;margin-bottom:0}p.meta{color:#444;margin-top:.3em}
table{border-collapse:collapse;width:100%;margin-top:1em}th,td{border:1px solid #999;padding:.4em .6em;text-align:left}
th{background:#eee}tr{page-break-inside:avoid}@media print{body{margin:0}a{color:inherit;text-decoration:none}}"""


def _local(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _hm(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).strftime("%H:%M")


def _who(pid: str, people: dict[str, dict], org_names: dict[str, str]) -> str:
    person = people.get(pid, {})
    org = org_names.get(person.get("org_id", ""), person.get("org_id", ""))
    position = f", {person['position']}" if person.get("position") else ""
    return f"{person.get('name', pid)}{position} ({org})"


def _shown(meetings: list[dict]) -> list[dict]:
    placed = [m for m in meetings if m["status"] in SHOWN and m.get("start")]
    return sorted(placed, key=lambda m: (m["start"], m["table"]))


def participant_calendar(summit: dict, participant: dict, meetings: list[dict], people: dict[str, dict],
                         org_names: dict[str, str], stamp: datetime) -> bytes:
    """One VEVENT per placed meeting of the participant; UIDs are stable so calendars update in place."""
    cal = Calendar()
    cal.add("prodid", "-//Duijie//Summit agenda//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{summit['title']} — {participant['name']}")
    for m in _shown(meetings):
        other = next(p for p in m["participant_ids"] if p != participant["_id"])
        event = Event()
        event.add("uid", f"{m['_id']}.{participant['_id']}@duijie")
        event.add("dtstamp", stamp)
        event.add("dtstart", m["start"])
        event.add("dtend", m["end"])
        event.add("summary", f"对接洽谈 Meeting: {_who(other, people, org_names)}")
        event.add("location", f"{summit['venue']}, {m['table_name']}")
        event.add("description", f"{summit['title']}\nTable {m['table_name']}, slot {m['slot'] + 1}\n"
                                 f"With {_who(other, people, org_names)}\nMeeting id {m['_id']}")
        event.add("status", "CONFIRMED" if m.get("schedule_kind") == "final" else "TENTATIVE")
        cal.add_component(event)
    return cal.to_ical()


def _page(title: str, heading: str, meta: str, head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    empty = "" if rows else f'<tr><td colspan="{len(head)}">No meetings scheduled.</td></tr>'
    return (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style></head><body><h1>{escape(heading)}</h1><p class=\"meta\">{escape(meta)}</p>"
            f"<table><thead><tr>{cells}</tr></thead><tbody>{body}{empty}</tbody></table></body></html>")


def _kind(summit: dict) -> str:
    schedule = summit.get("schedule") or {}
    return {"final": "Final schedule", "preliminary": "Preliminary schedule"}.get(schedule.get("kind"), "No schedule")


def participant_html(summit: dict, participant: dict, meetings: list[dict], people: dict[str, dict],
                     org_names: dict[str, str]) -> str:
    tz = ZoneInfo(summit["timezone"])
    rows = []
    for m in _shown(meetings):
        other = next(p for p in m["participant_ids"] if p != participant["_id"])
        rows.append([_local(m["start"], tz), _hm(m["end"], tz), m["table_name"], _who(other, people, org_names),
                     m["status"]])
    heading = f"{summit['title']} — {_who(participant['_id'], people, org_names)}"
    meta = f"{summit['venue']} · {_kind(summit)} · times in {summit['timezone']}"
    return _page(f"Agenda — {participant['name']}", heading, meta, ["Start", "End", "Table", "Meeting with", "Status"],
                 rows)


def table_html(summit: dict, table: dict, meetings: list[dict], people: dict[str, dict],
               org_names: dict[str, str]) -> str:
    tz = ZoneInfo(summit["timezone"])
    rows = [[_local(m["start"], tz), _hm(m["end"], tz), _who(m["participant_ids"][0], people, org_names),
             _who(m["participant_ids"][1], people, org_names)] for m in _shown(meetings) if m["table"] == table["id"]]
    meta = f"{summit['venue']} · {_kind(summit)} · times in {summit['timezone']}"
    return _page(f"Table {table['name']}", f"{summit['title']} — Table {table['name']}", meta,
                 ["Start", "End", "Participant", "Participant"], rows)
