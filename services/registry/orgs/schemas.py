"""Organisations: OrgCreate / OrgUpdate in, OrgPublic out (plus the one-time API key on registration)."""

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.contracts.catalogue import OrgKind, QualificationHeld
from services.registry.fields import CreditCode, IndustryCodes, OrgName, QualificationIn, Region

FinancierType = Literal["bank", "venture_capital", "guarantee", "insurer"]
REVENUE_BANDS = "0: under 2 M CNY, 1: 2–20 M, 2: 20–100 M, 3: 100–400 M, 4: 400 M–2 B, 5: 2 B or more"

FIRM_EXAMPLE = {
    "name": "隆平种业科技有限公司", "kind": "firm", "credit_code": "914403001922038216", "region": "430121",
    "industry_codes": ["A0511", "C1319"], "founded_year": 2015, "revenue_band": 2, "patents_held": 3,
    "qualifications": [{"code": "high_tech_enterprise", "certificate_no": "GR202343000123",
                        "expires_on": "2026-12-31"}, {"code": "tech_sme"}],
    "contact_email": "tech@longping.example"}


class OrgFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: OrgName
    credit_code: CreditCode | None = None
    region: Region | None = None
    industry_codes: IndustryCodes = []
    qualifications: list[QualificationIn] = Field(default=[], max_length=10,
                                                  description="Firms only: 高新技术企业, 科技小巨人, ...")
    founded_year: int | None = Field(default=None, ge=1800, description="Year of founding (not in the future)")
    revenue_band: int | None = Field(default=None, ge=0, le=5, description=f"Annual revenue band: {REVENUE_BANDS}")
    patents_held: int = Field(default=0, ge=0, le=1_000_000, description="Number of patents held")
    financier_type: FinancierType | None = Field(default=None, description="Financiers only")
    contact_email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

    @model_validator(mode="after")
    def consistent(self) -> "OrgFields":
        kind = getattr(self, "kind", None)
        if self.founded_year is not None and self.founded_year > datetime.now(UTC).year:
            raise ValueError(f"founded_year {self.founded_year} is in the future")
        if kind is not None and kind != "financier" and self.financier_type is not None:
            raise ValueError("financier_type is only for organisations of kind financier")
        if kind is not None and kind != "firm" and self.qualifications:
            raise ValueError("qualifications (高新技术企业 etc.) are held by firms only")
        codes = [q.code for q in self.qualifications]
        if len(codes) != len(set(codes)):
            raise ValueError("qualifications lists the same qualification twice")
        return self


class OrgCreate(OrgFields):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        FIRM_EXAMPLE,
        {"name": "湖南农业大学", "kind": "university", "region": "430102"},
        {"name": "长沙科技银行", "kind": "financier", "financier_type": "bank", "region": "430100"},
    ]})

    kind: OrgKind


class OrgUpdate(BaseModel):
    """Only the fields you send change; `kind` cannot change. Send the version you read (or `If-Match`)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"version": 1, "patents_held": 5, "revenue_band": 3},
        {"qualifications": [{"code": "tech_little_giant"}]},
    ]})

    version: int | None = Field(default=None, ge=1, description="The version you read; 409 if it changed since")
    name: OrgName | None = None
    credit_code: CreditCode | None = None
    region: Region | None = None
    industry_codes: IndustryCodes | None = None
    qualifications: list[QualificationIn] | None = Field(default=None, max_length=10)
    founded_year: int | None = Field(default=None, ge=1800)
    revenue_band: int | None = Field(default=None, ge=0, le=5)
    patents_held: int | None = Field(default=None, ge=0, le=1_000_000)
    financier_type: FinancierType | None = None
    contact_email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class OrgPublic(BaseModel):
    id: str
    version: int
    name: str
    kind: OrgKind
    credit_code: str | None = None
    region: str | None = None
    industry_codes: list[str] = []
    qualifications: list[QualificationHeld] = []
    founded_year: int | None = None
    revenue_band: int | None = None
    patents_held: int = 0
    financier_type: str | None = None
    contact_email: str | None = None
    roles: list[str] = ["member"]
    created_at: datetime
    updated_at: datetime | None = None


class OrgRegistered(OrgPublic):
    api_key: str = Field(description="Shown once: store it now. Send as `Authorization: Bearer <api_key>`.")


class OrgPage(BaseModel):
    items: list[OrgPublic]
    next_cursor: str | None = None
