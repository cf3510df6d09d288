from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.contracts.events import FinancingOption, ScoreComponent

DeclineReason = Literal["not_relevant", "too_early_stage", "too_expensive", "already_solved", "other"]


class MatchPublic(BaseModel):
    id: str
    status: str = Field(description="proposed, accepted (by both sides), declined or retracted")
    need_id: str
    counterpart_id: str
    counterpart_kind: str
    need_org_id: str | None = Field(description="Hidden (null) for a confidential need until both sides accepted")
    counterpart_org_id: str
    score: float
    components: list[ScoreComponent] = []
    financing: list[FinancingOption] = []
    proposed_at: datetime
    my_decision: str | None = None
    their_decision: str | None = None
    mutual: bool = Field(default=False, description="Both sides accepted")


class MatchPage(BaseModel):
    items: list[MatchPublic]
    next_cursor: str | None = None


class Decline(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"reason": "too_early_stage", "text": "技术成熟度不足，暂不考虑"}, {"reason": "not_relevant"}]})

    reason: DeclineReason
    text: str | None = Field(default=None, max_length=2000, description="Optional words for the other side")


class Accept(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": "欢迎进一步洽谈"}]})

    text: str | None = Field(default=None, max_length=2000)
