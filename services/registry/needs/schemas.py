"""Technology needs posted by firms."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.contracts.catalogue import CooperationMode
from services.registry.fields import IndustryCodes, Keywords, Money


class NeedCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "title": "杂交水稻耐高温品种选育技术", "description": "寻求耐高温、高产的杂交水稻育种技术合作",
        "keywords": ["杂交水稻", "耐高温", "育种"], "industry_codes": ["A0111"], "trl_min": 4, "trl_max": 7,
        "budget_min": 500000, "budget_max": 2000000, "cooperation_modes": ["joint_development", "licence"],
        "region": "430121", "visibility": "public"}]})

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20000)
    keywords: Keywords = []
    industry_codes: IndustryCodes = []
    trl_min: int | None = Field(default=None, ge=1, le=9)
    trl_max: int | None = Field(default=None, ge=1, le=9)
    budget_min: Money | None = None
    budget_max: Money | None = None
    cooperation_modes: list[CooperationMode] = []
    deadline: date | None = None
    region: str | None = Field(default=None, max_length=64)
    visibility: Literal["public", "confidential"] = "public"
    status: Literal["draft", "open"] = "open"

    @model_validator(mode="after")
    def ranges_ordered(self) -> "NeedCreate":
        if self.trl_min and self.trl_max and self.trl_min > self.trl_max:
            raise ValueError("trl_min must not exceed trl_max")
        if self.budget_min is not None and self.budget_max is not None and self.budget_min > self.budget_max:
            raise ValueError("budget_min must not exceed budget_max")
        return self


class NeedPublic(BaseModel):
    id: str
    org_id: str | None
    version: int
    status: str
    title: str
    description: str = ""
    keywords: list[str] = []
    industry_codes: list[str] = []
    trl_min: int | None = None
    trl_max: int | None = None
    budget_min: float | None = None
    budget_max: float | None = None
    cooperation_modes: list[str] = []
    deadline: date | None = None
    region: str | None = None
    visibility: str = "public"
    created_at: datetime
    updated_at: datetime
