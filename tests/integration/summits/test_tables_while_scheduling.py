"""Tables are not removed while matching computes a schedule for them: the schedule it publishes would place
meetings at tables the summit no longer has (two meetings in a slot of a one-table summit)."""

import httpx
import pytest

from tests.integration.summits.conftest import people
from tests.support.api import bearer, eventually, register_org

pytestmark = pytest.mark.integration


async def test_tables_are_not_removed_while_a_schedule_is_computed(http: httpx.AsyncClient, registry: str,
                                                                   organiser: dict, summit: dict) -> None:
    sid = summit["id"]
    orgs = [await register_org(http, registry, f"排桌企业{i}", "firm") for i in range(4)]
    only_first = [1, 2, 3, 4, 5]  # everyone can come only in slot 0: both meetings need a table there
    ps = [(await people(http, registry, sid, o["api_key"], f"参会人{i}", unavailable_slots=only_first))[0]
          for i, o in enumerate(orgs)]
    for i in (0, 2):
        asked = await http.post(f"{registry}/v1/summits/{sid}/requests", headers=bearer(orgs[i]["api_key"]),
                                json={"from_participant": ps[i]["id"], "to_participant": ps[i + 1]["id"]})
        accepted = await http.post(f"{registry}/v1/summits/{sid}/requests/{asked.json()['id']}/accept",
                                   headers=bearer(orgs[i + 1]["api_key"]))
        assert accepted.status_code == 200, accepted.text
    scheduled = await http.post(f"{registry}/v1/summits/{sid}/schedule", headers=organiser["headers"])
    assert scheduled.status_code == 202, scheduled.text
    shrink = await http.patch(f"{registry}/v1/summits/{sid}", headers=organiser["headers"],
                              json={"tables": {"count": 1}})
    assert shrink.status_code == 409 and shrink.json()["field"] == "tables.count", shrink.text

    async def published() -> dict | None:
        page = (await http.get(f"{registry}/v1/summits/{sid}/meetings", headers=organiser["headers"])).json()
        return page if page["schedule"] and not page["pending"] else None
    page = await eventually(published, within=60)
    tables = (await http.get(f"{registry}/v1/summits/{sid}", headers=organiser["headers"])).json()["tables"]
    assert {m["table"] for m in page["items"]} <= {t["id"] for t in tables}
