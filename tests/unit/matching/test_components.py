from datetime import date

import pytest

from services.matching.domain import Firm, Product, revenue_ordinal
from services.matching.scoring.budget import budget_fit
from services.matching.scoring.cooperation import cooperation_fit
from services.matching.scoring.field import field_fit
from services.matching.scoring.financing import amount_fit, eligibility, term_fit
from services.matching.scoring.industry import industry_match
from services.matching.scoring.keywords import keyword_overlap
from services.matching.scoring.region import region_allowed, region_fit
from services.matching.scoring.text import text_relevance
from services.matching.scoring.trl import trl_fit
from services.matching.text import compact


def _in_range(component) -> None:  # noqa: ANN001
    assert component is not None
    assert 0.0 <= component.score <= 1.0
    assert component.explanation


@pytest.mark.parametrize("ratio", [0.0, 0.2, 1.0, 5.0])
@pytest.mark.parametrize("fuzzy", [0.0, 0.5, 1.0])
def test_text_relevance_is_bounded_and_monotone(ratio: float, fuzzy: float) -> None:
    component = text_relevance(ratio, fuzzy, ["水稻"])
    _in_range(component)
    assert text_relevance(ratio + 0.1, fuzzy, ["水稻"]).score >= component.score
    assert "水稻" in component.explanation


def test_keyword_overlap_counts_phrases_and_names_them() -> None:
    component = keyword_overlap(("水稻", "育种", "石墨烯"), (), compact("一种水稻育种新方法"))
    _in_range(component)
    assert component.score == pytest.approx(2 / 3, abs=1e-3)
    assert component.explanation == "共同关键词: 水稻, 育种"
    assert keyword_overlap((), (), "x") is None
    assert keyword_overlap(("电池",), (), compact("水稻")).score == 0.0


def test_trl_fit_explains_the_range() -> None:
    inside = trl_fit(4, 7, 6)
    assert inside.score == 1.0 and inside.explanation == "TRL 6 在需求范围 4–7 内"
    below = trl_fit(4, 7, 2)
    _in_range(below)
    assert below.score < 1.0 and "低于" in below.explanation
    assert trl_fit(None, None, 5) is None and trl_fit(3, 5, None) is None
    assert trl_fit(1, 9, 9).score == 1.0 and trl_fit(9, 9, 1).score == 0.0


def test_budget_fit_penalises_overrun_and_tolerance_tightens_it() -> None:
    assert budget_fit(10e4, 50e4, 20e4, 40e4).score == 1.0
    over = budget_fit(None, 50e4, 75e4, None)
    _in_range(over)
    assert over.score == pytest.approx(0.5) and "超出预算上限 50万元" in over.explanation
    assert budget_fit(None, 50e4, 75e4, None, tolerance=0.5).score == 0.0
    nothing = budget_fit(None, 0.0, 75e4, None)
    assert nothing.score == 0.0 and "inf" not in nothing.explanation and "%" not in nothing.explanation
    assert budget_fit(None, None, 75e4, None) is None


def test_cooperation_fit_exact_related_and_mismatch() -> None:
    assert cooperation_fit(("transfer",), ("transfer", "licence")).score == 1.0
    assert "转让" in cooperation_fit(("transfer",), ("transfer",)).explanation
    assert cooperation_fit(("transfer",), ("licence",)).score == 0.5
    assert cooperation_fit(("equity",), ("commissioned_rnd",)).score == 0.0
    assert cooperation_fit((), ("transfer",)) is None


def test_region_and_industry_prefixes() -> None:
    assert region_fit("430102", "430102").score == 1.0
    assert region_fit("430102", "430104").score == 0.8
    assert region_fit("430102", "431002").score == 0.6
    assert region_fit("430102", "110101").score == 0.3
    assert region_fit(None, "430102") is None
    assert industry_match(("C3911",), ("C3911",)).score == 1.0
    assert industry_match(("C39",), ("C3911",)).score == 0.8
    assert 0 < industry_match(("C3911",), ("C3921",)).score < 0.8
    assert industry_match(("A01",), ("C39",)).score == 0.0
    assert industry_match((), ("C39",)) is None


def test_field_fit_relative_to_the_inferred_field() -> None:
    inferred = {"作物学": 0.8, "园艺学": 0.2}
    assert field_fit(inferred, "作物学").score == 1.0
    assert field_fit(inferred, "园艺学").score == pytest.approx(0.25)
    assert field_fit(inferred, "材料科学").score == 0.0
    assert field_fit(inferred, None) is None and field_fit({}, "作物学") is None


def test_financing_eligibility_rules() -> None:
    today = date(2025, 6, 1)
    pledge = Product(id="p", org_id="bank", product_type="ip_pledge_loan")
    assert not eligibility(pledge, Firm(id="f", patents_held=0), today)[0]
    assert eligibility(pledge, Firm(id="f", patents_held=2), today)[0]
    strict = Product(id="q", org_id="bank", required_qualifications=("high_tech_enterprise",),
                     min_revenue_band=2, min_years_since_founding=3, regions=("43",))
    good = Firm(id="f", qualifications=("high_tech_enterprise",), revenue_band="5m_20m",
                founded_year=2020, region="430102")
    assert eligibility(strict, good, today)[0]
    assert "高新技术企业" in eligibility(strict, Firm(id="g"), today)[1]
    young = Firm(id="f", qualifications=("high_tech_enterprise",), revenue_band=3, founded_year=2024,
                 region="430102")
    assert not eligibility(strict, young, today)[0]
    elsewhere = Firm(id="f", qualifications=("high_tech_enterprise",), revenue_band=3, founded_year=2010,
                     region="110101")
    assert not eligibility(strict, elsewhere, today)[0]


def test_a_product_serving_some_districts_is_not_proposed_to_a_firm_known_only_by_its_city_or_province() -> None:
    districts = ("430121", "430104")
    assert region_allowed(districts, "430121") and region_allowed(districts, " 430104001 ")
    assert not region_allowed(districts, "4301") and not region_allowed(districts, "43")
    assert region_allowed(("湖南省",), "湖南省长沙市") and not region_allowed(("湖南省长沙市",), "湖南省")
    assert region_allowed((), None) and not region_allowed(districts, None)


def test_amount_and_term_fit() -> None:
    product = Product(id="p", org_id="b", amount_min=10e4, amount_max=100e4, term_months=24)
    assert amount_fit(product, 50e4).score == 1.0
    assert amount_fit(product, 200e4).score == 0.5
    assert amount_fit(product, 5e4).score == 0.7
    assert amount_fit(product, None) is None
    assert term_fit(product, 12).score == 1.0
    assert term_fit(product, 36).score == pytest.approx(24 / 36, abs=1e-3)


def test_a_revenue_band_is_read_from_its_ordinal_or_name_and_anything_else_is_the_lowest() -> None:
    assert [revenue_ordinal(b) for b in (3, "3", " 5m_20m ", 9, None, "huge", "²", "３")] == [3, 3, 2, 5, 0, 0, 0, 0]
