"""Deal rules: the life of a deal, amendments as versions, registration numbers."""

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from services.registry import settings
from services.registry.deals import domain
from services.registry.deals.schemas import DealCreate, DealUpdate
from services.registry.errors import Conflict, Invalid
from services.registry.settings import Settings
from services.registry.summits.schemas import DealTerms

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def deal(category: str = "technology", status: str = "draft", **extra) -> dict:
    return {"_id": "d1", "version": 1, "status": status, "category": category,
            "kind": "licence" if category == "technology" else "loan", "amount": 100.0, "signed_on": "2026-04-01",
            "history": [], **extra}


def test_a_technology_contract_is_signed_then_registered_then_performed() -> None:
    d = deal()
    for action, status in (("confirm", "signed"), ("register", "registered"), ("perform", "performed")):
        d = domain.advance(d, action, "org_b", NOW)
        assert d["status"] == status
    assert d["version"] == 4 and [h["action"] for h in d["history"]] == ["confirm", "register", "perform"]


def test_a_financing_deal_is_never_registered_and_a_performed_deal_never_terminated() -> None:
    with pytest.raises(Conflict, match="only technology contracts are registered"):
        domain.advance(deal("financing", "signed"), "register", "org_b", NOW)
    with pytest.raises(Conflict, match="can no longer be terminated"):
        domain.advance(deal(status="performed"), "terminate", "org_b", NOW)
    with pytest.raises(Conflict, match="possible now: confirm, terminate"):
        domain.advance(deal(), "perform", "org_b", NOW)


def test_an_amendment_is_a_new_version_recording_what_changed() -> None:
    d = domain.amend(deal(status="signed"), {"amount": 250.0, "kind": None, "signed_on": None}, "org_a", NOW)
    assert d is not None and d["version"] == 2 and d["amount"] == 250.0
    assert d["history"][-1]["changes"] == {"amount": [100.0, 250.0]}
    assert domain.amend(d, {"amount": 250.0}, "org_a", NOW) is None, "no change, no new version"
    with pytest.raises(Invalid, match="stays one"):
        domain.amend(d, {"kind": "loan"}, "org_a", NOW)
    with pytest.raises(Conflict):
        domain.amend(deal(status="terminated"), {"amount": 1.0}, "org_a", NOW)


@pytest.mark.parametrize(("number", "ok"), [
    ("2026430102000123", True), ("2026430102000123 ", False), ("202643010200012", False),
    ("20264301020001234", False), ("2026-430102-000123", False), ("1826430102000123", False)])
def test_registration_numbers_follow_the_configured_pattern(number: str, ok: bool) -> None:
    problem = domain.registration_number_problem(number, Settings().deal_registration_pattern)
    assert (problem is None) == ok
    if not ok:
        assert "技术合同登记号" in problem and "2026430102000123" in problem


def test_a_deal_signed_in_the_future_is_refused() -> None:
    assert domain.signed_on_problem(date(2026, 5, 2), date(2026, 5, 1))
    assert domain.signed_on_problem(date(2026, 5, 1), date(2026, 5, 1)) is None


def test_today_is_the_districts_calendar_day_not_utcs(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 07:30 in Beijing on 5 December it is still 4 December in UTC: a deal signed that morning is not in the
    future, and registering it that day is not either."""

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None) -> datetime:  # type: ignore[override]
            return datetime(2026, 12, 4, 23, 30, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(settings, "datetime", Clock)
    today = Settings().today()
    assert today == date(2026, 12, 5)
    assert domain.signed_on_problem(date(2026, 12, 5), today) is None


@pytest.mark.parametrize(("amount", "stored"), [(100.004, None), (0.001, None), (0.07, 0.07), (0.1 + 0.2, 0.3),
                                                (100.1, 100.1), (1200000, 1200000), (999999999999.99, 999999999999.99)])
def test_an_amount_is_a_whole_number_of_fen(amount: float, stored: float | None) -> None:
    """A ledger rounds each group to the fen and the report the year's sum: 100.004 in January and in February
    gave 200.00 in the ledger and 200.01 in the yearly report. A float's noise (0.1 + 0.2) is rounded away."""
    base = {"match_id": "m1", "kind": "licence", "signed_on": "2026-03-18"}
    terms = {"kind": "licence", "signed_on": "2026-03-18", "amount": amount}  # a summit follow-up's signed deal
    for model, body in ((DealCreate, {**base, "amount": amount}), (DealUpdate, {"amount": amount}),
                        (DealTerms, terms)):
        if stored is not None:
            assert model.model_validate(body).amount == stored
        else:
            with pytest.raises(ValidationError, match="fen"):
                model.model_validate(body)


def test_a_financing_deal_keeps_to_the_kind_of_its_product() -> None:
    """The financing ledger and the report's 知识产权质押贷款 figure go by the product: an equity investment made
    with an IP-pledge-loan product (or a loan amended into one) was counted as an IP-pledge loan."""
    assert domain.product_problem("equity", "ip_pledge_loan")
    assert domain.product_problem("loan", "guarantee")
    assert domain.product_problem("loan", "ip_pledge_loan") is None
    assert domain.product_problem("guarantee", "insurance") is None, "leasing and insurance go with any kind"
    pledged = deal("financing", "signed", product_id="p1", product_type="ip_pledge_loan")
    with pytest.raises(Invalid, match="ip_pledge_loan"):
        domain.amend(pledged, {"kind": "equity"}, "org_a", NOW)
    assert domain.amend(deal("financing", "signed", product_type=None), {"kind": "equity"}, "org_a", NOW)
