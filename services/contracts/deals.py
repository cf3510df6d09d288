"""Payloads of deal events on `registry.deals.v1`: each carries the deal's full current state.

A deal is a technology contract (技术开发, 技术转让, 技术许可, 技术咨询, 技术服务) or a financing agreement
(loan, equity, guarantee) between two organisations that were matched or met at a summit. Its life:
`draft` → `signed` (the other party confirmed) → `registered` (技术合同登记, technology contracts only)
→ `performed`, or `terminated` before it is performed. Amendments bump `version`; every change is an event.
"""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.contracts.catalogue import OrgKind, ProductType
from services.contracts.events import register

TechnologyKind = Literal["development", "transfer", "licence", "consulting", "service"]
FinancingKind = Literal["loan", "equity", "guarantee"]
DealKind = Literal["development", "transfer", "licence", "consulting", "service", "loan", "equity", "guarantee"]
DealStatus = Literal["draft", "signed", "registered", "performed", "terminated"]
DealCategory = Literal["technology", "financing"]

TECHNOLOGY_KINDS: tuple[str, ...] = ("development", "transfer", "licence", "consulting", "service")
FINANCING_KINDS: tuple[str, ...] = ("loan", "equity", "guarantee")


def category_of(kind: str) -> DealCategory:
    return "technology" if kind in TECHNOLOGY_KINDS else "financing"


class DealParty(BaseModel):
    model_config = ConfigDict(extra="ignore")

    org_id: str
    kind: OrgKind
    name: str | None = None


class DealData(BaseModel):
    """The whole deal after the change the event reports."""

    model_config = ConfigDict(extra="ignore")

    id: str
    version: int = Field(ge=1)
    status: DealStatus
    kind: DealKind
    category: DealCategory
    amount: float = Field(gt=0, description="CNY")
    currency: Literal["CNY"] = "CNY"
    signed_on: date
    parties: list[DealParty] = Field(min_length=2, max_length=2)
    drafted_by: str
    confirmed_by: str | None = None
    match_id: str | None = None
    meeting_id: str | None = None
    summit_id: str | None = None
    product_id: str | None = None
    product_type: ProductType | None = None
    registration_number: str | None = None
    registered_on: date | None = None
    created_at: datetime
    updated_at: datetime


DEAL_EVENTS = ("deal.drafted", "deal.amended", "deal.signed", "deal.registered", "deal.performed", "deal.terminated")

for _type in DEAL_EVENTS:
    register(_type, DealData)
