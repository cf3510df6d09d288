"""Experts and technology commissioners (科技特派员) whom firms can be matched with."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.registry.fields import Keywords


class ExpertCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "李教授", "fields": ["作物遗传育种", "分子标记"], "keywords": ["杂交水稻", "耐高温"],
        "is_tech_commissioner": True}]})

    name: str = Field(min_length=1, max_length=100)
    affiliation_org_id: str | None = Field(default=None, max_length=64,
                                           description="Defaults to the organisation registering the expert")
    fields: Keywords = Field(default=[], description="Fields of expertise")
    keywords: Keywords = []
    is_tech_commissioner: bool = Field(default=False, description="A 科技特派员 appointed by the bureau")
    status: Literal["open"] = "open"


class ExpertPublic(BaseModel):
    id: str
    org_id: str
    version: int
    status: str
    name: str
    affiliation_org_id: str | None = None
    fields: list[str] = []
    keywords: list[str] = []
    is_tech_commissioner: bool = False
    created_at: datetime
    updated_at: datetime
