"""Organisations: OrgCreate in, OrgPublic out (plus the one-time API key on registration)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.contracts.catalogue import OrgKind, QualificationHeld


class OrgCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "湖南农业大学", "kind": "university", "region": "430102"},
        {"name": "隆平种业科技有限公司", "kind": "firm", "region": "430121", "industry_codes": ["A0511"],
         "founded_year": 2015, "revenue_band": 2, "patents_held": 3},
    ]})

    name: str = Field(min_length=1, max_length=200, description="Registered name, e.g. 湖南农业大学")
    kind: OrgKind
    region: str | None = Field(default=None, max_length=64, description="Administrative division code or name")
    industry_codes: list[str] = Field(default=[], description="GB/T 4754 industry codes")
    qualifications: list[QualificationHeld] = []
    founded_year: int | None = Field(default=None, ge=1800, le=2100)
    revenue_band: int | None = Field(default=None, ge=0, le=5)
    patents_held: int = Field(default=0, ge=0)
    financier_type: str | None = None
    contact_email: str | None = None


class OrgPublic(BaseModel):
    id: str
    version: int
    name: str
    kind: OrgKind
    region: str | None = None
    industry_codes: list[str] = []
    qualifications: list[QualificationHeld] = []
    founded_year: int | None = None
    revenue_band: int | None = None
    patents_held: int = 0
    financier_type: str | None = None
    created_at: datetime


class OrgRegistered(OrgPublic):
    api_key: str = Field(description="Shown once: store it now. Send as `Authorization: Bearer <api_key>`.")
