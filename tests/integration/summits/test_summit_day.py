"""A summit from end to end on the real stack: three organisations register, matches become meeting requests,
the receivers accept, matching schedules them (schedule.published), agendas download as .ics and HTML, the
final schedule keeps every placement, check-ins make a meeting held, the sweep records no-shows, expires
ignored requests, and follow-ups fall due; a signed contract opens a draft deal."""

from datetime import datetime, timedelta

import httpx
import pytest
from icalendar import Calendar

from deploy.stack import Stack
from services.contracts import topics
from tests.integration.summits.conftest import events_on, people
from tests.support.api import bearer, eventually, register_org

pytestmark = pytest.mark.integration


async def schedule_of(http: httpx.AsyncClient, url: str, headers: dict, kind: str) -> dict | None:
    page = (await http.get(url, headers=headers)).json()
    done = page["schedule"] and not page["pending"] and page["schedule"]["kind"] == kind
    return page if done else None


async def test_three_organisations_meet_at_a_scheduled_summit(
        stack: Stack, http: httpx.AsyncClient, registry: str, organiser: dict, summit: dict, soon: datetime,
        seed_match, jump) -> None:
    sid, org_headers = summit["id"], organiser["headers"]
    assert len(summit["slots"]) == 6 and [t["name"] for t in summit["tables"]] == ["A1", "A2"]
    firm = await register_org(http, registry, "隆平种业示范企业", "firm")
    university = await register_org(http, registry, "湖南农业大学", "university")
    bank = await register_org(http, registry, "长沙科技银行", "financier", financier_type="bank")
    [li] = await people(http, registry, sid, firm["api_key"], "李明", unavailable_slots=[0], interests=["杂交水稻"])
    [wang] = await people(http, registry, sid, university["api_key"], "王教授")
    [zhao] = await people(http, registry, sid, bank["api_key"], "赵经理")

    # Suggestions come from the firm's matches with organisations taking part, best score first.
    good = await seed_match(firm["id"], university["id"], 0.82)
    await seed_match(firm["id"], bank["id"], 0.61)
    suggested = (await http.get(f"{registry}/v1/summits/{sid}/suggestions", headers=bearer(firm["api_key"]))).json()
    assert [s["counterpart_org_id"] for s in suggested["items"]] == [university["id"], bank["id"]]
    assert suggested["items"][0]["match_id"] == good and suggested["items"][0]["counterpart_participants"][0]["id"] \
        == wang["id"]

    async def ask(key: str, a: dict, b: dict, **extra: object) -> dict:
        r = await http.post(f"{registry}/v1/summits/{sid}/requests", headers=bearer(key),
                            json={"from_participant": a["id"], "to_participant": b["id"], **extra})
        assert r.status_code == 201, r.text
        return r.json()

    to_wang = await ask(firm["api_key"], li, wang, match_id=good)
    to_zhao = await ask(firm["api_key"], li, zhao)
    bank_to_wang = await ask(bank["api_key"], zhao, wang)
    assert (to_wang["score"], to_wang["source"]) == (0.82, "match")
    assert (to_zhao["score"], to_zhao["source"]) == (0.61, "match"), "the best match between the two is found"
    assert (bank_to_wang["score"], bank_to_wang["source"]) == (0.5, "explicit")
    nobody = await http.post(f"{registry}/v1/summits/{sid}/requests", headers=bearer(firm["api_key"]),
                             json={"from_participant": li["id"], "to_participant": "par_nobody"})
    assert nobody.status_code == 422 and nobody.json()["field"] == "to_participant"
    not_mine = await http.post(f"{registry}/v1/summits/{sid}/requests/{to_wang['id']}/accept",
                               headers=bearer(bank["api_key"]))
    assert not_mine.status_code == 403, "only the receiver accepts"
    for key, request in ((university["api_key"], to_wang), (bank["api_key"], to_zhao),
                         (university["api_key"], bank_to_wang)):
        r = await http.post(f"{registry}/v1/summits/{sid}/requests/{request['id']}/accept", headers=bearer(key))
        assert r.status_code == 200 and r.json()["status"] == "accepted", r.text

    # The organiser asks for a preliminary schedule; matching answers with schedule.published.
    assert (await http.post(f"{registry}/v1/summits/{sid}/schedule", headers=bearer(firm["api_key"]))).status_code \
        == 403
    asked = await http.post(f"{registry}/v1/summits/{sid}/schedule", headers=org_headers, params={"time_limit_s": 3})
    assert asked.status_code == 202, asked.text
    assert asked.json()["meetings"] == 3 and asked.json()["kind"] == "preliminary"
    meetings_url = f"{registry}/v1/summits/{sid}/meetings"
    page = await eventually(lambda: schedule_of(http, meetings_url, org_headers, "preliminary"), within=60)
    schedule = page["schedule"]
    assert schedule["scheduled"] == 3 and schedule["unplaced"] == 0 and schedule["participants_with_meeting"] == 3
    assert schedule["bound"] is not None and schedule["objective"] <= schedule["bound"] + 1e-9
    assert schedule["gap"] is not None and schedule["gap"] <= 0.01
    placed = {m["id"]: m for m in page["items"]}
    assert set(placed) == {to_wang["id"], to_zhao["id"], bank_to_wang["id"]}
    assert all(m["status"] == "scheduled" for m in placed.values())
    assert all(m["slot"] != 0 for m in placed.values() if li["id"] in m["participant_ids"]), "李明 is away in slot 0"
    by_slot: dict[int, set[str]] = {}
    for m in placed.values():
        assert not by_slot.setdefault(m["slot"], set()) & set(m["participant_ids"]), "nobody is double-booked"
        by_slot[m["slot"]] |= set(m["participant_ids"])
    published = await events_on(stack, topics.SCHEDULES, lambda e: e["subject"] == sid)
    assert published[0]["type"] == "schedule.published"
    assert set(published[0]["data"]["participant_org_ids"]) == {firm["id"], university["id"], bank["id"]}
    firm_view = (await http.get(meetings_url, headers=bearer(firm["api_key"]))).json()["items"]
    assert {m["id"] for m in firm_view} == {to_wang["id"], to_zhao["id"]}, "an organisation sees its own meetings"

    # Agendas: an .ics a calendar reads, a printable page per participant and per table.
    ics = await http.get(f"{registry}/v1/summits/{sid}/agenda.ics", params={"participant": li["id"]},
                         headers=bearer(firm["api_key"]))
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(ics.content).walk("VEVENT")
    assert sorted(e.decoded("dtstart") for e in events) == sorted(
        datetime.fromisoformat(placed[m]["start"]) for m in (to_wang["id"], to_zhao["id"]))
    assert any("王教授" in str(e["summary"]) for e in events) and any("赵经理" in str(e["summary"]) for e in events)
    assert all(str(e["status"]) == "TENTATIVE" for e in events), "a preliminary schedule is tentative"
    other = await http.get(f"{registry}/v1/summits/{sid}/agenda.ics", params={"participant": li["id"]},
                           headers=bearer(bank["api_key"]))
    assert other.status_code == 403
    html = await http.get(f"{registry}/v1/summits/{sid}/agenda.html", params={"participant": wang["id"]},
                          headers=bearer(university["api_key"]))
    assert html.status_code == 200 and "李明" in html.text and "赵经理" in html.text and "<table>" in html.text
    table = placed[to_wang["id"]]["table"]
    sheet = await http.get(f"{registry}/v1/summits/{sid}/agenda.html", params={"table": table}, headers=org_headers)
    assert sheet.status_code == 200 and placed[to_wang["id"]]["table_name"] in sheet.text

    # The final schedule: nothing changed, so nothing moves.
    final = await http.post(f"{registry}/v1/summits/{sid}/schedule", headers=org_headers,
                            params={"final": "true", "time_limit_s": 3})
    assert final.status_code == 202
    page = await eventually(lambda: schedule_of(http, meetings_url, org_headers, "final"), within=60)
    assert page["schedule"]["moved"] == 0
    assert {m["id"]: (m["slot"], m["table"]) for m in page["items"]} == \
        {i: (m["slot"], m["table"]) for i, m in placed.items()}
    assert (await http.get(f"{registry}/v1/summits/{sid}", headers=org_headers)).json()["status"] == "final"

    # On the day: both sides check in at the firm–university meeting; the bank–firm one is missed.
    check_in = f"{registry}/v1/summits/{sid}/meetings/{to_wang['id']}/check-in"
    first = await http.post(check_in, headers=bearer(firm["api_key"]))
    assert first.status_code == 200 and first.json()["status"] == "scheduled" and first.json()["checked_in"] == [
        li["id"]]
    both = await http.post(check_in, headers=bearer(university["api_key"]))
    assert both.status_code == 200 and both.json()["status"] == "held"
    stranger = await http.post(check_in, headers=bearer(bank["api_key"]))
    assert stranger.status_code == 403
    swept = await jump(soon + timedelta(hours=3))
    assert swept.missed >= 2, "the two meetings nobody (or one side) checked in to are missed"
    attendance = (await http.get(f"{registry}/v1/summits/{sid}/attendance", headers=org_headers)).json()
    assert (attendance["held"], attendance["missed"], attendance["awaiting"]) == (1, 2, 0)
    missed = {m["id"]: m for m in attendance["meetings"]}[to_zhao["id"]]
    assert set(missed["no_shows"]) == {li["id"], zhao["id"]}

    # After: the 7-day follow-up falls due for both sides; a signed contract opens a draft deal.
    assert (await http.get(f"{registry}/v1/followups", headers=bearer(firm["api_key"]))).json()["items"] == []
    await jump(soon + timedelta(days=8))
    due = (await http.get(f"{registry}/v1/followups", headers=bearer(firm["api_key"]))).json()["items"]
    assert [(f["meeting_id"], f["days_after"], f["counterpart_org_id"]) for f in due] == [
        (to_wang["id"], 7, university["id"])]
    answer = await http.post(f"{registry}/v1/followups/{due[0]['id']}/answer", headers=bearer(firm["api_key"]),
                             json={"outcome": "contract_signed", "note": "许可合同已签",
                                   "deal": {"kind": "licence", "amount": 1200000,
                                            "signed_on": datetime.now().date().isoformat()}})
    assert answer.status_code == 200, answer.text
    deal_id = answer.json()["draft_deal_id"]
    deal = await http.get(f"{registry}/v1/deals/{deal_id}", headers=bearer(university["api_key"]))
    assert deal.status_code == 200 and deal.json()["status"] == "draft" and deal.json()["meeting_id"] == to_wang["id"]
    again = await http.post(f"{registry}/v1/followups/{due[0]['id']}/answer", headers=bearer(firm["api_key"]),
                            json={"outcome": "in_talks"})
    assert again.status_code == 409
    due_events = await events_on(stack, topics.SUMMITS, lambda e: e["type"] == "followup.due" and e["subject"] == sid,
                                 want=2)
    assert {e["data"]["org_id"] for e in due_events} == {firm["id"], university["id"]}


async def test_ignored_requests_expire_and_both_sides_hear_of_it(
        stack: Stack, http: httpx.AsyncClient, registry: str, organiser: dict, summit: dict, jump) -> None:
    sid = summit["id"]
    firm = await register_org(http, registry, "湘江新材料有限公司", "firm")
    institute = await register_org(http, registry, "中南材料研究院", "institute")
    [a] = await people(http, registry, sid, firm["api_key"], "陈工")
    [b] = await people(http, registry, sid, institute["api_key"], "周研究员")
    asked = await http.post(f"{registry}/v1/summits/{sid}/requests", headers=bearer(firm["api_key"]),
                            json={"from_participant": a["id"], "to_participant": b["id"]})
    request = asked.json()
    assert request["status"] == "pending"
    expires = datetime.fromisoformat(request["expires_at"])
    assert expires - datetime.fromisoformat(request["created_at"]) == timedelta(hours=6)
    requests_url = f"{registry}/v1/summits/{sid}/requests"

    async def status_now() -> str:
        return (await http.get(requests_url, headers=bearer(firm["api_key"]))).json()["items"][0]["status"]

    await jump(expires - timedelta(minutes=1))
    assert await status_now() == "pending"
    assert (await jump(expires + timedelta(seconds=1))).expired >= 1
    assert await status_now() == "expired"
    late = await http.post(f"{registry}/v1/summits/{sid}/requests/{request['id']}/accept",
                           headers=bearer(institute["api_key"]))
    assert late.status_code == 409
    listed = (await http.get(f"{registry}/v1/summits/{sid}/participants", headers=organiser["headers"])).json()
    ignored = {p["id"]: p["ignored_requests"] for p in listed["items"]}
    assert (ignored[b["id"]], ignored[a["id"]]) == (1, 0)
    member_view = (await http.get(f"{registry}/v1/summits/{sid}/participants", headers=bearer(firm["api_key"]))).json()
    assert all(p["ignored_requests"] is None for p in member_view["items"]), "only the organiser sees the counts"
    [expired] = await events_on(stack, topics.SUMMITS, lambda e: e["type"] == "meeting.expired"
                                and e["data"]["request_id"] == request["id"])
    assert set(expired["data"]["participant_org_ids"]) == {firm["id"], institute["id"]}
