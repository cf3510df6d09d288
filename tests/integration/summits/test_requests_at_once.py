"""Two people ask to meet each other at the same moment (A to B, and B to A): one request is made, the other is a
409. Checked before the request's transaction, both found none, both were made, and once accepted the pair had
two meetings."""

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from services.registry.auth import Caller
from services.registry.container import Container
from services.registry.db import Database
from services.registry.errors import Conflict
from services.registry.summits import requests
from services.registry.summits.repository import SummitRepository
from services.registry.summits.schemas import MeetingRequestCreate
from tests.integration.summits.conftest import people
from tests.support.api import register_org

pytestmark = pytest.mark.integration


async def test_two_people_asking_each_other_at_once_make_one_request(
        http: httpx.AsyncClient, registry: str, summit: dict, registry_db: Database, box: Container,
        monkeypatch: pytest.MonkeyPatch) -> None:
    firm = await register_org(http, registry, "同时邀约企业", "firm")
    university = await register_org(http, registry, "同时邀约大学", "university")
    [li] = await people(http, registry, summit["id"], firm["api_key"], "李明")
    [wang] = await people(http, registry, summit["id"], university["api_key"], "王教授")
    look = SummitRepository.live_request_between

    async def slow_look(repo: SummitRepository, *args: object, **kwargs: object) -> dict | None:
        found = await look(repo, *args, **kwargs)  # type: ignore[arg-type]
        await asyncio.sleep(0.3)  # the other request's look happens meanwhile
        return found

    monkeypatch.setattr(SummitRepository, "live_request_between", slow_look)
    asks = [(Caller(firm["id"], "member", "k1"), li, wang), (Caller(university["id"], "member", "k2"), wang, li)]
    answers = await asyncio.gather(*(
        requests.request_meeting(box, caller, summit["id"],
                                 MeetingRequestCreate(from_participant=a["id"], to_participant=b["id"]),
                                 datetime.now(UTC)) for caller, a, b in asks), return_exceptions=True)
    monkeypatch.undo()

    assert sorted(type(a).__name__ for a in answers) == ["Conflict", "MeetingRequestPublic"], answers
    assert "exists already" in str(next(a for a in answers if isinstance(a, Conflict)))
    made = await registry_db["summit_requests"].find({"summit_id": summit["id"]}).to_list()
    assert len(made) == 1
