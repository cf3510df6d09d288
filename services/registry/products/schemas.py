"""Financing products listed by financial institutions (banks, venture capital, guarantors, insurers)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.contracts.catalogue import ProductType, Qualification
from services.registry.fields import Region


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "知识产权质押贷", "product_type": "ip_pledge_loan", "amount_min": 1000000, "amount_max": 10000000,
        "rate_min": 3.2, "rate_max": 4.5, "term_months": 36, "required_qualifications": ["high_tech_enterprise"],
        "min_patents": 1, "min_revenue_band": 1, "min_years_since_founding": 2, "regions": ["430121", "430104"],
        "collateral": "发明专利质押"}]})

    name: str = Field(min_length=1, max_length=200, description="The product's name, e.g. 知识产权质押贷")
    product_type: ProductType
    amount_min: float | None = Field(default=None, ge=0, le=1e12, description="CNY")
    amount_max: float | None = Field(default=None, ge=0, le=1e12, description="CNY")
    rate_min: float | None = Field(default=None, ge=0, le=100, description="Annual rate in percent")
    rate_max: float | None = Field(default=None, ge=0, le=100, description="Annual rate in percent")
    term_months: int | None = Field(default=None, ge=1, le=600)
    required_qualifications: list[Qualification] = Field(default=[], max_length=4)
    min_patents: int = Field(default=0, ge=0, le=100000, description="Patents the firm must hold")
    min_revenue_band: int | None = Field(default=None, ge=0, le=5)
    min_years_since_founding: int | None = Field(default=None, ge=0, le=200)
    regions: list[Region] = Field(default=[], max_length=100, description="Eligible regions; empty = anywhere")
    collateral: Annotated[str, Field(max_length=200)] | None = None
    status: Literal["draft", "open"] = "open"

    @model_validator(mode="after")
    def ranges_ordered(self) -> "ProductCreate":
        if self.amount_min is not None and self.amount_max is not None and self.amount_min > self.amount_max:
            raise ValueError("amount_min must not exceed amount_max")
        if self.rate_min is not None and self.rate_max is not None and self.rate_min > self.rate_max:
            raise ValueError("rate_min must not exceed rate_max")
        return self


class ProductPublic(BaseModel):
    id: str
    org_id: str
    version: int
    status: str
    name: str
    product_type: str
    amount_min: float | None = None
    amount_max: float | None = None
    rate_min: float | None = None
    rate_max: float | None = None
    term_months: int | None = None
    required_qualifications: list[str] = []
    min_patents: int = 0
    min_revenue_band: int | None = None
    min_years_since_founding: int | None = None
    regions: list[str] = []
    collateral: str | None = None
    created_at: datetime
    updated_at: datetime
