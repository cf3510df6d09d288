"""Deals: DealCreate / DealUpdate / DealRegistration in, DealPublic out."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from services.contracts.deals import FINANCING_KINDS, DealCategory, DealKind, DealParty, DealStatus

KIND_HELP = ("technology contracts: development 技术开发, transfer 技术转让, licence 技术许可, consulting 技术咨询, "
             "service 技术服务; financing: loan, equity, guarantee")


def in_fen(amount: float) -> float:
    """The amount to the fen (分): a float's noise (0.1 + 0.2) is rounded away, a fraction of a fen is refused (the
    ledgers round each group to the fen, the yearly report the year's sum: they would disagree)."""
    fen = round(amount, 2)
    if abs(amount - fen) > 1e-6:
        raise ValueError(f"{amount} is not a whole number of fen (分): give at most two decimals")
    return fen


Yuan = Annotated[float, AfterValidator(in_fen)]
Amount = Field(gt=0, le=1e12, description="Contract amount in CNY (元), greater than 0", examples=[1200000])


class DealCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"match_id": "3f1c9a0d5e7b4c21a8d6e0f2b4c6d8e1", "kind": "licence", "amount": 1200000,
         "signed_on": "2026-03-18"},
        {"meeting_id": "mreq_6650a1b2c3d4e5f6a7b8c9d0", "kind": "loan", "amount": 5000000,
         "signed_on": "2026-05-06", "product_id": "product_6650a1b2c3d4e5f6a7b8c9d1"},
    ]})

    match_id: str | None = Field(default=None, min_length=1, max_length=100,
                                 description="The match the deal came from (give this or meeting_id)")
    meeting_id: str | None = Field(default=None, min_length=1, max_length=100,
                                   description="The summit meeting the deal came from (give this or match_id)")
    kind: DealKind = Field(description=KIND_HELP)
    amount: Yuan = Amount
    signed_on: date = Field(description="Signing date (not in the future)")
    product_id: str | None = Field(default=None, max_length=100,
                                   description="Financing deals only: the financing product granted")

    @model_validator(mode="after")
    def one_origin(self) -> "DealCreate":
        if (self.match_id is None) == (self.meeting_id is None):
            raise ValueError("give exactly one of match_id or meeting_id: a deal's parties must have been "
                             "matched or have met at a summit")
        if self.product_id is not None and self.kind not in FINANCING_KINDS:
            raise ValueError("product_id is only for financing deals (loan, equity, guarantee)")
        return self


class DealUpdate(BaseModel):
    """An amendment: only the fields you send change; each amendment is a new version with its history."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"version": 2, "amount": 1500000}, {"kind": "development", "signed_on": "2026-03-20"}]})

    version: int | None = Field(default=None, ge=1, description="The version you read; 409 if it changed since")
    kind: DealKind | None = Field(default=None, description=KIND_HELP)
    amount: Yuan | None = Field(default=None, gt=0, le=1e12, description="Contract amount in CNY (元), > 0")
    signed_on: date | None = None


class DealRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"registration_number": "2026430102000123", "registered_on": "2026-04-02"}]})

    registration_number: str = Field(min_length=1, max_length=40,
                                     description="技术合同登记号: by default 4-digit year + 6-digit administrative "
                                                 "division code + 6-digit serial, e.g. 2026430102000123")
    registered_on: date | None = Field(default=None, description="Registration date; today when omitted")


class DealRevision(BaseModel):
    version: int
    action: str
    status: str
    by: str
    at: datetime
    changes: dict[str, list[Any]] = {}


class DealPublic(BaseModel):
    id: str
    version: int
    status: DealStatus
    kind: DealKind
    category: DealCategory
    amount: float
    currency: str = "CNY"
    signed_on: date
    parties: list[DealParty]
    drafted_by: str
    confirmed_by: str | None = None
    match_id: str | None = None
    meeting_id: str | None = None
    summit_id: str | None = None
    product_id: str | None = None
    product_type: str | None = None
    registration_number: str | None = None
    registered_on: date | None = None
    history: list[DealRevision] = []
    created_at: datetime
    updated_at: datetime


class DealPage(BaseModel):
    items: list[DealPublic]
    next_cursor: str | None = None
