"""Payloads of the registry's catalogue events: each carries the aggregate's full current state.

State-carrying events let a consumer that missed history rebuild from any one event, and let it drop a
stale replay by comparing `version`.
"""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

OrgKind = Literal["firm", "university", "institute", "financier", "organiser"]
CooperationMode = Literal["transfer", "licence", "joint_development", "commissioned_rnd", "equity"]
Qualification = Literal["high_tech_enterprise", "tech_little_giant", "tech_sme", "ip_demonstration"]
PatentType = Literal["invention", "utility_model", "design"]
ProductType = Literal["ip_pledge_loan", "credit_loan", "equity", "guarantee", "leasing", "insurance"]


class Snapshot(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    org_id: str
    version: int = Field(ge=1)
    status: str
    created_at: datetime | None = None
    updated_at: datetime | None = None


class QualificationHeld(BaseModel):
    code: Qualification
    certificate_no: str | None = None
    expires_on: date | None = None


class OrgData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    version: int = Field(ge=1)
    name: str
    kind: OrgKind
    region: str | None = None
    industry_codes: list[str] = []
    qualifications: list[QualificationHeld] = []
    founded_year: int | None = None
    revenue_band: int | None = Field(default=None, ge=0, le=5)
    patents_held: int = 0
    financier_type: str | None = None
    status: str = "active"


class NeedData(Snapshot):
    title: str
    description: str = ""
    keywords: list[str] = []
    industry_codes: list[str] = []
    trl_min: int | None = None
    trl_max: int | None = None
    budget_min: float | None = None
    budget_max: float | None = None
    cooperation_modes: list[CooperationMode] = []
    deadline: date | None = None
    region: str | None = None
    visibility: Literal["public", "confidential"] = "public"


class Patent(BaseModel):
    number: str
    type: PatentType = "invention"
    granted_on: date | None = Field(default=None, description="授权日: set once the patent is granted")


class ResultData(Snapshot):
    title: str
    abstract: str = ""
    keywords: list[str] = []
    discipline: str | None = None
    industry_codes: list[str] = []
    trl: int | None = None
    patents: list[Patent] = []
    transfer_modes: list[CooperationMode] = []
    price_min: float | None = None
    price_max: float | None = None
    inventors: list[str] = []
    region: str | None = None


class ProductData(Snapshot):
    name: str
    product_type: ProductType
    amount_min: float | None = None
    amount_max: float | None = None
    rate_min: float | None = None
    rate_max: float | None = None
    term_months: int | None = None
    required_qualifications: list[Qualification] = []
    min_patents: int = 0
    min_revenue_band: int | None = None
    min_years_since_founding: int | None = None
    regions: list[str] = []
    collateral: str | None = None


class ExpertData(Snapshot):
    name: str
    affiliation_org_id: str | None = None
    fields: list[str] = []
    keywords: list[str] = []
    is_tech_commissioner: bool = False
