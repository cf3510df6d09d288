"""A summit's schedule.requested must fit in one broker message: one that could never be published would hold up
every event committed after it. People without a meeting to schedule go without their availability; a summit
still too large is refused with a 409."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from deploy.stack import Stack
from services.contracts import topics
from services.registry.db import Database, retrying
from tests.integration.summits.conftest import events_on, people, summit_body
from tests.support.api import bearer, register_org

pytestmark = pytest.mark.integration


async def add_people(db: Database, template: dict, count: int, start: int) -> None:
    """`count` participants like `template` (a participant as the API returned it), stored as registering stores
    them; straight into the database, for speed."""
    stored = {k: v for k, v in template.items() if k not in ("id", "ignored_requests")}
    docs = [{**stored, "_id": f"par_bulk{i:06d}", "registered_at": datetime.now(UTC)} for i in range(start,
                                                                                                       start + count)]

    async def insert() -> None:
        async with db.transaction() as session:
            await db["summit_participants"].insert_many(docs, session=session)
    await retrying(insert)


async def test_many_people_without_meetings_hold_up_no_event(stack: Stack, http: httpx.AsyncClient, registry: str,
                                                             organiser: dict, registry_db: Database) -> None:
    start = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    body = summit_body(start, sessions=[{"start": start.isoformat(), "end": (start + timedelta(hours=100)).isoformat(),
                                         "slot_minutes": 15}], tables={"count": 2000})
    created = await http.post(f"{registry}/v1/summits", headers=organiser["headers"], json=body)
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    firm = await register_org(http, registry, "千人参会企业", "firm")
    university = await register_org(http, registry, "千人参会大学", "university")
    [li] = await people(http, registry, sid, firm["api_key"], "李明")
    [wang] = await people(http, registry, sid, university["api_key"], "王教授")
    [busy] = await people(http, registry, sid, firm["api_key"], "只来最后一场", unavailable_slots=list(range(399)))
    await add_people(registry_db, busy, 700, 0)
    asked = await http.post(f"{registry}/v1/summits/{sid}/requests", headers=bearer(firm["api_key"]),
                            json={"from_participant": li["id"], "to_participant": wang["id"]})
    accepted = await http.post(f"{registry}/v1/summits/{sid}/requests/{asked.json()['id']}/accept",
                               headers=bearer(university["api_key"]))
    assert accepted.status_code == 200, accepted.text

    scheduled = await http.post(f"{registry}/v1/summits/{sid}/schedule", headers=organiser["headers"])
    assert scheduled.status_code == 202, scheduled.text
    [later] = await people(http, registry, sid, firm["api_key"], "后来者")
    await events_on(stack, topics.SUMMITS, lambda e: e["type"] == "participant.registered"
                    and e["data"]["participant_id"] == later["id"], within=20)

    await add_people(registry_db, busy, 8000, 700)
    too_large = await http.post(f"{registry}/v1/summits/{sid}/schedule", headers=organiser["headers"])
    assert too_large.status_code == 409 and "too large" in too_large.text, too_large.text
    summit = (await http.get(f"{registry}/v1/summits/{sid}", headers=organiser["headers"])).json()
    assert summit["schedule_run"] == 1, "a refused run takes no run number"
