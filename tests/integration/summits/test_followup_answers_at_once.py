"""A follow-up answered twice at once with a signed contract: one answer and one draft deal are stored, the other
answer is a 409 and leaves nothing behind. The deal used to be stored before the answer was, so the losing answer
left a stray draft deal in both organisations' lists and the ledgers."""

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from services.registry.auth import Caller
from services.registry.container import Container
from services.registry.db import Database, retrying
from services.registry.errors import Conflict
from services.registry.summits import followups
from services.registry.summits.repository import SummitRepository
from services.registry.summits.schemas import FollowupAnswer
from tests.support.api import register_org

pytestmark = pytest.mark.integration


async def test_two_answers_at_once_store_one_draft_deal(http: httpx.AsyncClient, registry: str, summit: dict,
                                                         registry_db: Database, box: Container,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    firm = await register_org(http, registry, "回访企业", "firm")
    university = await register_org(http, registry, "回访大学", "university")
    ended = datetime.now(UTC) - timedelta(days=8)
    meeting_id, followup_id = f"mtg_{uuid.uuid4().hex[:12]}", f"fu_{uuid.uuid4().hex[:12]}"
    followup = {"_id": followup_id, "summit_id": summit["id"], "meeting_id": meeting_id, "org_id": firm["id"],
                "counterpart_org_id": university["id"], "days_after": 7, "due_at": ended + timedelta(days=7),
                "status": "due", "outcome": None, "note": None, "draft_deal_id": None, "answered_at": None}

    async def insert() -> None:
        async with registry_db.transaction() as session:
            await registry_db["summit_meetings"].insert_one({
                "_id": meeting_id, "summit_id": summit["id"], "participant_ids": ["par_f", "par_u"],
                "org_ids": [firm["id"], university["id"]], "score": 0.8, "status": "held",
                "start": ended - timedelta(minutes=20), "end": ended, "check_ins": {}}, session=session)
            await registry_db["summit_followups"].insert_one(followup, session=session)

    await retrying(insert)
    caller = Caller(firm["id"], "member", "k1")
    body = FollowupAnswer.model_validate({"outcome": "contract_signed", "deal": {
        "kind": "licence", "amount": 1_200_000, "signed_on": (date.today() - timedelta(days=1)).isoformat()}})
    await followups.answer(box, caller, followup_id, body, datetime.now(UTC))

    async def read_before_the_first_answer(repo: SummitRepository, fid: str) -> dict | None:
        return dict(followup)  # the second answer read the follow-up while it was still due

    monkeypatch.setattr(SummitRepository, "followup", read_before_the_first_answer)
    with pytest.raises(Conflict, match="answered meanwhile"):
        await followups.answer(box, caller, followup_id, body, datetime.now(UTC))
    monkeypatch.undo()
    deals = await registry_db["deals"].find({"meeting_id": meeting_id}).to_list()
    stored = await registry_db["summit_followups"].find_one({"_id": followup_id})
    assert [d["_id"] for d in deals] == [stored["draft_deal_id"]]
