"""Research results and patents published by universities and institutes."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.contracts.catalogue import CooperationMode, Patent
from services.registry.fields import IndustryCodes, Keywords, Money, PatentIn


class ResultCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "title": "耐高温杂交水稻新品种选育方法", "abstract": "本成果通过分子标记辅助选择培育耐高温高产杂交水稻...",
        "keywords": ["杂交水稻", "耐高温", "分子标记"], "discipline": "作物学", "industry_codes": ["A0111"], "trl": 6,
        "patents": [{"number": "CN202310123456.6", "type": "invention"}], "transfer_modes": ["licence", "transfer"],
        "price_min": 800000, "price_max": 1500000, "inventors": ["张三"]}]})

    title: str = Field(min_length=1, max_length=200)
    abstract: str = Field(default="", max_length=20000)
    keywords: Keywords = []
    discipline: str | None = Field(default=None, max_length=100)
    industry_codes: IndustryCodes = []
    trl: int | None = Field(default=None, ge=1, le=9)
    patents: list[PatentIn] = Field(default=[], max_length=100)
    transfer_modes: list[CooperationMode] = []
    price_min: Money | None = None
    price_max: Money | None = None
    inventors: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default=[], max_length=100)
    region: str | None = Field(default=None, max_length=64)
    status: Literal["draft", "open"] = "open"

    @model_validator(mode="after")
    def prices_ordered(self) -> "ResultCreate":
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise ValueError("price_min must not exceed price_max")
        return self


class ResultPublic(BaseModel):
    id: str
    org_id: str
    version: int
    status: str
    title: str
    abstract: str = ""
    keywords: list[str] = []
    discipline: str | None = None
    industry_codes: list[str] = []
    trl: int | None = None
    patents: list[Patent] = []
    transfer_modes: list[str] = []
    price_min: float | None = None
    price_max: float | None = None
    inventors: list[str] = []
    region: str | None = None
    created_at: datetime
    updated_at: datetime
