"""The matching engine's inputs and outputs: frozen, pure dataclasses (no I/O).

Field names follow the registry's events. Money is in CNY, TRL is 1–9, regions are administrative
codes (``"430102"``) or names; a shorter code is a prefix region (``"43"`` = 湖南省 contains ``"430102"``).
"""

from dataclasses import asdict, dataclass
from datetime import date
from typing import Literal

CooperationMode = Literal["transfer", "licence", "joint_development", "commissioned_rnd", "equity"]
PatentType = Literal["invention", "utility_model", "design"]
ProductType = Literal["ip_pledge_loan", "credit_loan", "equity", "guarantee", "leasing", "insurance"]
Qualification = Literal["high_tech_enterprise", "tech_little_giant", "tech_sme", "ip_demonstration"]
DeclineReason = Literal["not_relevant", "too_early_stage", "too_expensive", "already_solved", "other"]
CounterpartKind = Literal["result", "expert", "product"]

COOPERATION_MODES: frozenset[str] = frozenset(
    {"transfer", "licence", "joint_development", "commissioned_rnd", "equity"}
)
DECLINE_REASONS: frozenset[str] = frozenset(
    {"not_relevant", "too_early_stage", "too_expensive", "already_solved", "other"}
)
OPEN = "open"

# Revenue bands as ordinals 0..5; the registry may send either the ordinal or one of these names.
REVENUE_BANDS: tuple[str, ...] = ("none", "under_5m", "5m_20m", "20m_100m", "100m_400m", "over_400m")


def revenue_ordinal(band: int | str | None) -> int:
    """Map a revenue band (ordinal or name) to 0..5; unknown → 0 (the most conservative)."""
    if band is None:
        return 0
    if isinstance(band, int):
        return max(0, min(band, len(REVENUE_BANDS) - 1))
    text = band.strip().lower()
    if text.isascii() and text.isdigit():  # not "²", which str.isdigit counts and int() refuses
        return revenue_ordinal(int(text))
    return REVENUE_BANDS.index(text) if text in REVENUE_BANDS else 0


@dataclass(frozen=True, slots=True)
class Need:
    id: str
    org_id: str
    version: int = 1
    title: str = ""
    description: str = ""
    keywords: tuple[str, ...] = ()
    industry_codes: tuple[str, ...] = ()
    trl_min: int | None = None
    trl_max: int | None = None
    budget_min: float | None = None
    budget_max: float | None = None
    cooperation_modes: tuple[str, ...] = ()
    region: str | None = None
    status: str = OPEN
    confidential: bool = False  # shown only to the parties it is matched with, on its content


@dataclass(frozen=True, slots=True)
class Result:
    id: str
    org_id: str
    version: int = 1
    title: str = ""
    abstract: str = ""
    keywords: tuple[str, ...] = ()
    discipline: str | None = None
    industry_codes: tuple[str, ...] = ()
    trl: int | None = None
    patents: tuple[tuple[str, str], ...] = ()
    transfer_modes: tuple[str, ...] = ()
    price_min: float | None = None
    price_max: float | None = None
    region: str | None = None
    status: str = OPEN


@dataclass(frozen=True, slots=True)
class Expert:
    id: str
    org_id: str
    version: int = 1
    name: str = ""
    fields: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    affiliation_org_id: str | None = None
    is_tech_commissioner: bool = False
    status: str = OPEN


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    org_id: str
    version: int = 1
    name: str = ""
    product_type: str = "credit_loan"
    amount_min: float | None = None
    amount_max: float | None = None
    rate_min: float | None = None
    rate_max: float | None = None
    term_months: int | None = None
    required_qualifications: tuple[str, ...] = ()
    min_patents: int = 0
    min_revenue_band: int | str | None = None
    min_years_since_founding: int = 0
    regions: tuple[str, ...] = ()
    collateral: str | None = None
    status: str = OPEN


@dataclass(frozen=True, slots=True)
class Firm:
    """An organisation profile (firm, university, bank…); ``id`` is the organisation id."""

    id: str
    kind: str = "firm"
    qualifications: tuple[str, ...] = ()
    industry_codes: tuple[str, ...] = ()
    region: str | None = None
    founded_year: int | None = None
    revenue_band: int | str | None = None
    patents_held: int = 0
    expiring: tuple[tuple[str, date], ...] = ()  # (qualification, the last day its certificate is valid)

    def holds(self, qualification: str, today: date) -> bool:
        """Whether the firm holds ``qualification`` on ``today``: an expired certificate is not held."""
        return qualification in self.qualifications and all(
            until >= today for code, until in self.expiring if code == qualification)


Posting = Need | Result | Expert | Product


@dataclass(frozen=True, slots=True)
class Component:
    """One explained part of a match score: ``score`` in [0,1], ``weight`` its share of the sum."""

    name: str
    score: float
    weight: float
    explanation: str


@dataclass(frozen=True, slots=True)
class FinancingOption:
    product_id: str
    product_org_id: str
    score: float
    explanation: str


@dataclass(frozen=True, slots=True)
class ScoredMatch:
    match_id: str
    need_id: str
    counterpart_id: str
    counterpart_kind: str
    need_org_id: str
    counterpart_org_id: str
    score: float
    components: tuple[Component, ...] = ()
    financing: tuple[FinancingOption, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Weights:
    """Relative weights of the score components (text relevance dominant); filled from settings.

    Components that do not apply to a pair (e.g. no TRL on either side) drop out and the remaining
    weights are renormalised, so a match score is always a weighted mean in [0,1].
    """

    text: float = 0.40
    keywords: float = 0.20
    field: float = 0.30
    industry: float = 0.08
    trl: float = 0.05
    budget: float = 0.05
    cooperation: float = 0.04
    region: float = 0.03
    financing_amount: float = 0.5
    financing_term: float = 0.2
    financing_region: float = 0.1
    financing_eligibility: float = 0.2
