"""Bad summits are refused with a 422 naming the problem; only organisers create them; a late registration
and a reschedule keep the meetings already placed where they were."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.registry.auth import Caller
from services.registry.container import Container
from services.registry.db import retrying
from services.registry.summits import service
from services.registry.summits.repository import SummitRepository
from services.registry.summits.scheduling import _next_run
from services.registry.summits.schemas import SummitUpdate
from tests.integration.summits.conftest import people, summit_body
from tests.integration.summits.test_summit_day import schedule_of
from tests.support.api import bearer, eventually, register_org

pytestmark = pytest.mark.integration


async def test_bad_summits_get_a_422_that_says_which_problem(http: httpx.AsyncClient, registry: str,
                                                             organiser: dict, soon: datetime) -> None:
    url, headers = f"{registry}/v1/summits", organiser["headers"]
    first = summit_body(soon)["sessions"][0]
    overlapping = {**first, "start": (soon + timedelta(hours=1)).isoformat(),
                   "end": (soon + timedelta(hours=3)).isoformat()}
    cases = {
        "sessions[1]": summit_body(soon, sessions=[first, overlapping]),
        "tables.count": summit_body(soon, tables={"count": 0}),
        "sessions[0]": summit_body(soon, sessions=[{**first, "end": (soon + timedelta(minutes=50)).isoformat()}]),
        "registration_closes": summit_body(soon, registration_closes=(soon + timedelta(days=2)).isoformat()),
    }
    for field, body in cases.items():
        r = await http.post(url, headers=headers, json=body)
        assert r.status_code == 422 and r.json()["field"] == field, (field, r.text)
    bad_length = await http.post(url, headers=headers, json=summit_body(soon, sessions=[{**first, "slot_minutes": 25}]))
    assert bad_length.status_code == 422 and "slot_minutes" in bad_length.json()["message"]
    member = await register_org(http, registry, "普通会员企业", "firm")
    assert (await http.post(url, headers=bearer(member["api_key"]), json=summit_body(soon))).status_code == 403


async def test_a_time_zone_or_a_moment_out_of_reach_is_a_422(http: httpx.AsyncClient, registry: str,
                                                             organiser: dict, summit: dict, soon: datetime) -> None:
    url, headers = f"{registry}/v1/summits", organiser["headers"]
    first = summit_body(soon)["sessions"][0]
    for zone in ("Asia", "Asia/", "../etc/passwd", "Mars/Olympus"):
        r = await http.post(url, headers=headers, json=summit_body(soon, timezone=zone))
        assert r.status_code == 422 and r.json()["field"] == "timezone", (zone, r.text)
    for moment in ("0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "2200-01-01T00:00:00+00:00"):
        cases = {"registration_opens": summit_body(soon, registration_opens=moment),
                 "sessions[0].start": summit_body(soon, sessions=[{**first, "start": moment}]),
                 "sessions[0].end": summit_body(soon, sessions=[{**first, "end": moment}])}
        for field, body in cases.items():
            r = await http.post(url, headers=headers, json=body)
            assert r.status_code == 422 and r.json()["detail"][0]["field"] == field, (moment, field, r.text)
        changed = await http.patch(f"{url}/{summit['id']}", headers=headers, json={"registration_closes": moment})
        assert changed.status_code == 422 and changed.json()["detail"][0]["field"] == "registration_closes"
        firm = await register_org(http, registry, "时间测试企业", "firm")
        window = {"start": first["start"], "end": moment}
        joined = await http.post(f"{url}/{summit['id']}/participants", headers=bearer(firm["api_key"]),
                                 json={"name": "甲", "unavailable_windows": [window]})
        assert joined.status_code == 422 and joined.json()["detail"][0]["field"] == "unavailable_windows[0].end"


async def test_availability_outside_the_summit_is_refused(http: httpx.AsyncClient, registry: str,
                                                          summit: dict, soon: datetime) -> None:
    firm = await register_org(http, registry, "可用性测试企业", "firm")
    url = f"{registry}/v1/summits/{summit['id']}/participants"
    r = await http.post(url, headers=bearer(firm["api_key"]), json={"name": "甲", "unavailable_slots": [6]})
    assert r.status_code == 422 and r.json()["field"] == "unavailable_slots[0]"
    window = {"start": (soon - timedelta(hours=2)).isoformat(), "end": (soon + timedelta(minutes=30)).isoformat()}
    r = await http.post(url, headers=bearer(firm["api_key"]), json={"name": "乙", "unavailable_windows": [window]})
    assert r.status_code == 422 and r.json()["field"] == "unavailable_windows[0]"


async def test_a_late_registration_is_scheduled_without_moving_earlier_meetings(
        http: httpx.AsyncClient, registry: str, organiser: dict, summit: dict) -> None:
    sid, headers = summit["id"], organiser["headers"]
    orgs = [await register_org(http, registry, name, "firm") for name in ("甲企业", "乙大学", "丙银行", "丁研究院")]
    a, b, c = [(await people(http, registry, sid, o["api_key"], f"代表{i}"))[0] for i, o in enumerate(orgs[:3])]

    async def agreed(key_from: str, key_to: str, x: dict, y: dict) -> str:
        r = await http.post(f"{registry}/v1/summits/{sid}/requests", headers=bearer(key_from),
                            json={"from_participant": x["id"], "to_participant": y["id"]})
        accepted = await http.post(f"{registry}/v1/summits/{sid}/requests/{r.json()['id']}/accept",
                                   headers=bearer(key_to))
        assert accepted.status_code == 200, accepted.text
        return r.json()["id"]

    await agreed(orgs[0]["api_key"], orgs[1]["api_key"], a, b)
    await agreed(orgs[1]["api_key"], orgs[2]["api_key"], b, c)
    await agreed(orgs[0]["api_key"], orgs[2]["api_key"], a, c)
    meetings_url = f"{registry}/v1/summits/{sid}/meetings"
    assert (await http.post(f"{registry}/v1/summits/{sid}/schedule", headers=headers,
                            params={"time_limit_s": 3})).status_code == 202
    first = await eventually(lambda: schedule_of(http, meetings_url, headers, "preliminary"), within=60)
    before = {m["id"]: (m["slot"], m["table"]) for m in first["items"]}

    # After registration closed the organiser registers a latecomer, who is then asked for a meeting.
    late = await http.post(f"{registry}/v1/summits/{sid}/participants", headers=headers,
                           json={"name": "迟到者", "org_id": orgs[3]["id"]})
    assert late.status_code == 201 and late.json()["late"] is True
    newcomer = await agreed(orgs[0]["api_key"], orgs[3]["api_key"], a, late.json())
    assert (await http.post(f"{registry}/v1/summits/{sid}/schedule", headers=headers,
                            params={"time_limit_s": 3, "final": "true"})).status_code == 202
    second = await eventually(lambda: schedule_of(http, meetings_url, headers, "final"), within=60)
    after = {m["id"]: (m["slot"], m["table"]) for m in second["items"]}
    assert newcomer in after and second["schedule"]["scheduled"] == 4
    assert second["schedule"]["moved"] == 0 and {i: after[i] for i in before} == before, "nobody was moved"


async def test_a_change_keeps_a_schedule_run_asked_for_meanwhile(http: httpx.AsyncClient, registry: str,
                                                                organiser: dict, summit: dict, registry_db,
                                                                box: Container,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The organiser renames the venue while asking for a schedule: the run counted between the change's read and
    its write stays counted (else the next request reused the run, and its schedule was never stored)."""
    read = SummitRepository.summit

    async def read_then_schedule(repo: SummitRepository, summit_id: str) -> dict | None:
        doc = await read(repo, summit_id)
        await retrying(lambda: _next_run(registry_db, repo, summit_id))  # POST .../schedule, meanwhile
        return doc

    monkeypatch.setattr(SummitRepository, "summit", read_then_schedule)
    owner = Caller(org_id=organiser["id"], role="organiser", key_id="test")
    await service.update_summit(box, owner, summit["id"], SummitUpdate(venue="C1 厅"), datetime.now(UTC))
    monkeypatch.undo()
    stored = (await http.get(f"{registry}/v1/summits/{summit['id']}", headers=organiser["headers"])).json()
    assert (stored["venue"], stored["schedule_run"]) == ("C1 厅", 1)


async def test_a_renamed_table_is_renamed_on_the_meetings_placed_there(http: httpx.AsyncClient, registry: str,
                                                                       organiser: dict, summit: dict,
                                                                       registry_db) -> None:
    """Agendas and attendance read a meeting's table name from the meeting: renaming the table left the old name
    there until the next schedule."""
    slot, meeting_id = summit["slots"][2], f"mtg_{uuid.uuid4().hex[:12]}"

    async def place() -> None:
        async with registry_db.transaction() as session:
            await registry_db["summit_meetings"].insert_one({
                "_id": meeting_id, "summit_id": summit["id"], "participant_ids": ["par_a", "par_b"],
                "org_ids": ["org_a", "org_b"], "score": 0.7, "status": "scheduled", "slot": 2, "table": 1,
                "table_name": "A2", "start": datetime.fromisoformat(slot["start"]),
                "end": datetime.fromisoformat(slot["end"]), "check_ins": {}}, session=session)

    await retrying(place)
    renamed = await http.patch(f"{registry}/v1/summits/{summit['id']}", headers=organiser["headers"],
                               json={"tables": {"count": 2, "names": ["A1", "岳麓厅 2 号桌"]}})
    assert renamed.status_code == 200, renamed.text
    meetings = (await http.get(f"{registry}/v1/summits/{summit['id']}/meetings", headers=organiser["headers"])).json()
    assert [(m["id"], m["table_name"]) for m in meetings["items"]] == [(meeting_id, "岳麓厅 2 号桌")]
