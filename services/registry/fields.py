"""Validated field types shared by the registry's request models; every error says what is wrong in plain words."""

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from services.contracts.catalogue import Patent, QualificationHeld
from services.registry.identifiers import (
    credit_code_problem,
    industry_code_problem,
    normalise_patent_number,
    patent_number_problem,
)

HIGH_TECH_CERTIFICATE = re.compile(r"^G[RF][0-9]{12}$")
MAX_AMOUNT = 1e12  # CNY: a trillion yuan, beyond any contract, budget or price the platform records
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def _upper_stripped(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _check(problem: str | None) -> None:
    if problem:
        raise ValueError(problem)


def _credit_code(code: str) -> str:
    _check(credit_code_problem(code))
    return code


def _industry_code(code: str) -> str:
    _check(industry_code_problem(code))
    return code


CreditCode = Annotated[str, BeforeValidator(_upper_stripped), AfterValidator(_credit_code),
                       Field(description="统一社会信用代码 (GB 32100-2015), 18 characters with its check character",
                             examples=["914403001922038216"])]
IndustryCode = Annotated[str, BeforeValidator(_upper_stripped), AfterValidator(_industry_code),
                         Field(description="GB/T 4754-2017 code: section letter + up to 4 digits", examples=["C3911"])]
IndustryCodes = Annotated[list[IndustryCode], Field(max_length=20, description="GB/T 4754-2017 industry codes")]
# A line of text a person types: no control characters (a name with one broke the ledgers' XLSX for everyone).
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
Region = Annotated[str, Field(min_length=1, max_length=64, pattern=ONE_LINE,
                              description="Administrative division code (e.g. 430121) or name")]
OrgName = Annotated[str, Field(min_length=1, max_length=200, pattern=ONE_LINE,
                               description="Registered name, e.g. 湖南农业大学")]
Money = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False,
                                description="CNY (元), a finite amount of at most 1e12")]


def plausible(moment: datetime) -> bool:
    """Whether `moment` (aware) lies in the years the platform plans for, 2000–2199 in UTC: any time of a summit,
    and far from the ends of what dates can hold once shifted to UTC or stored."""
    return EARLIEST <= moment < LATEST


def _plausible(moment: datetime) -> datetime:
    if not plausible(moment):
        raise ValueError(f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)")
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_plausible)]
Keywords = Annotated[list[Annotated[str, Field(min_length=1, max_length=50)]], Field(max_length=50)]


class QualificationIn(QualificationHeld):
    """A qualification a firm holds; 高新技术企业 needs its certificate number (GR…) and expiry date."""

    @model_validator(mode="after")
    def certificate_given(self) -> "QualificationIn":
        if self.code == "high_tech_enterprise":
            if not self.certificate_no:
                raise ValueError("high_tech_enterprise needs certificate_no, e.g. GR202143000123")
            if not HIGH_TECH_CERTIFICATE.match(self.certificate_no):
                raise ValueError("certificate_no of a high_tech_enterprise must look like GR202143000123 "
                                 "(GR or GF followed by 12 digits)")
            if self.expires_on is None:
                raise ValueError("high_tech_enterprise needs expires_on, the certificate's expiry date")
        if self.expires_on is not None and self.expires_on < datetime.now(UTC).date():
            raise ValueError(f"expires_on {self.expires_on} is in the past: an expired certificate is not held")
        return self


class PatentIn(Patent):
    """A Chinese patent application number with its type; the check digit and type digit are verified."""

    @field_validator("number")
    @classmethod
    def number_valid(cls, number: str) -> str:
        _check(patent_number_problem(number, None))
        return normalise_patent_number(number)

    @field_validator("type")
    @classmethod
    def type_agrees_with_number(cls, patent_type: str, info: ValidationInfo) -> str:
        if "number" in info.data:
            _check(patent_number_problem(info.data["number"], patent_type))
        return patent_type
