"""Every event type Duijie publishes, mapped to the model of its `data`.

Types are past-tense facts. Catalogue events carry the whole aggregate (see catalogue.py).
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.contracts.catalogue import ExpertData, NeedData, OrgData, ProductData, ResultData


class ScoreComponent(BaseModel):
    name: str
    score: float = Field(ge=0, le=1)
    weight: float = Field(ge=0)
    explanation: str


class FinancingOption(BaseModel):
    product_id: str
    org_id: str
    explanation: str


class MatchData(BaseModel):
    """A proposed match between a need (or a firm) and a counterpart posting."""

    model_config = ConfigDict(extra="ignore")

    match_id: str
    need_id: str
    counterpart_id: str
    counterpart_kind: Literal["result", "expert", "product"]
    need_org_id: str
    counterpart_org_id: str
    need_version: int = 1
    counterpart_version: int = 1
    score: float = Field(ge=0, le=1)
    components: list[ScoreComponent] = []
    financing: list[FinancingOption] = []
    proposed_at: datetime
    need_confidential: bool = Field(default=False, description=(
        "The need is confidential: its owner (`need_org_id`) is not named to the counterpart until both accepted"))


def owner_hidden(org_id: str, need_org_id: str | None, confidential: bool, mutual: bool) -> bool:
    """Whether `org_id` must not be told who posted a matched need: a confidential need's owner is named to the
    other party only once both accepted the match (`mutual`); the owner always knows itself."""
    return confidential and not mutual and org_id != need_org_id


class MatchRetractedData(BaseModel):
    match_id: str
    need_id: str
    counterpart_id: str
    need_org_id: str
    counterpart_org_id: str
    reason: str
    need_confidential: bool = False


class FeedbackData(BaseModel):
    """An organisation's answer to a match: accepted or declined, with a reason on a decline."""

    match_id: str
    org_id: str
    need_id: str
    counterpart_id: str
    counterpart_kind: str
    decision: Literal["accepted", "declined"]
    reason: Literal["not_relevant", "too_early_stage", "too_expensive", "already_solved", "other"] | None = None
    text: str | None = None
    at: datetime
    # The match's two parties, so a consumer can tell the other side without looking the match up (absent from
    # events published before they were added).
    need_org_id: str | None = None
    counterpart_org_id: str | None = None
    # A confidential need's owner is named to the other party only once both accepted: `mutual` says this answer
    # completed the match.
    need_confidential: bool = False
    mutual: bool = False


EVENT_TYPES: dict[str, type[BaseModel]] = {
    "org.registered": OrgData,
    "org.updated": OrgData,
    "need.posted": NeedData,
    "need.updated": NeedData,
    "need.closed": NeedData,
    "need.deleted": NeedData,
    "result.published": ResultData,
    "result.updated": ResultData,
    "result.withdrawn": ResultData,
    "result.deleted": ResultData,
    "product.listed": ProductData,
    "product.updated": ProductData,
    "product.withdrawn": ProductData,
    "product.deleted": ProductData,
    "expert.registered": ExpertData,
    "expert.updated": ExpertData,
    "expert.deleted": ExpertData,
    "match.proposed": MatchData,
    "match.retracted": MatchRetractedData,
    "match.accepted": FeedbackData,
    "match.declined": FeedbackData,
}


def register(type_: str, model: type[BaseModel]) -> None:
    """Add an event type (used by contract modules for summits, deals, ...)."""
    EVENT_TYPES[type_] = model


def data_model_for(type_: str) -> type[BaseModel] | None:
    return EVENT_TYPES.get(type_)
