from datetime import datetime

from pydantic import BaseModel

from services.contracts.events import FinancingOption, ScoreComponent


class MatchPublic(BaseModel):
    id: str
    status: str
    need_id: str
    counterpart_id: str
    counterpart_kind: str
    need_org_id: str
    counterpart_org_id: str
    score: float
    components: list[ScoreComponent] = []
    financing: list[FinancingOption] = []
    proposed_at: datetime


class MatchPage(BaseModel):
    items: list[MatchPublic]
    next_cursor: str | None = None
