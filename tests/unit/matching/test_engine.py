from datetime import UTC, date, datetime

import pytest
from bson import ObjectId

from services.contracts.catalogue import OrgData
from services.matching import engine as engine_module
from services.matching.adapters import firm_from
from services.matching.domain import Expert, Firm, Need, Product, Result
from services.matching.engine import MatchingEngine, match_id

TODAY = date(2025, 6, 1)


def _rice_result(**changes: object) -> Result:
    fields = dict(id="r-rice", org_id="univ", title="杂交水稻育种技术",
                  abstract="一种提高水稻产量的分子育种方法",
                  keywords=("水稻", "育种"), discipline="作物学", trl=6, price_min=30e4, price_max=60e4,
                  transfer_modes=("transfer",), region="430102")
    return Result(**(fields | changes))  # type: ignore[arg-type]


def _rice_need(**changes: object) -> Need:
    fields = dict(id="n-rice", org_id="firm", title="需要水稻育种技术", description="提高水稻产量",
                  keywords=("水稻", "育种"), trl_min=4, trl_max=7, budget_max=100e4,
                  cooperation_modes=("transfer",), region="430104")
    return Need(**(fields | changes))  # type: ignore[arg-type]


def _engine() -> MatchingEngine:
    engine = MatchingEngine(today=TODAY)
    engine.upsert(Result(id="r-battery", org_id="univ2", title="锂电池正极材料",
                         abstract="高能量密度电池材料制备",
                         keywords=("锂电池",), discipline="材料科学与工程"))
    return engine


def test_new_result_finds_existing_open_need_and_vice_versa() -> None:
    engine = _engine()
    engine.upsert(_rice_need())
    engine.upsert(_rice_result())
    from_result = engine.matches_for("r-rice")
    from_need = engine.matches_for("n-rice")
    assert [m.need_id for m in from_result] == ["n-rice"]
    assert from_need[0].counterpart_id == "r-rice" and from_need[0].counterpart_kind == "result"
    assert from_result[0].match_id == from_need[0].match_id
    assert abs(from_result[0].score - from_need[0].score) < 1e-6
    assert "r-battery" not in engine.counterpart_ids_of("n-rice")


def test_match_explains_every_component_with_weights_summing_to_one() -> None:
    engine = _engine()
    engine.upsert(_rice_result())
    engine.upsert(_rice_need())
    match = engine.matches_for("n-rice")[0]
    names = {c.name: c for c in match.components}
    assert {"text", "keywords", "trl", "budget", "cooperation", "region"} <= set(names)
    assert names["trl"].explanation == "TRL 6 在需求范围 4–7 内"
    assert "水稻" in names["keywords"].explanation
    assert abs(sum(c.weight for c in match.components) - 1.0) < 1e-3
    assert all(0 <= c.score <= 1 for c in match.components) and 0 <= match.score <= 1
    assert match.to_dict()["components"][0]["name"] == match.components[0].name


def test_match_id_is_deterministic_and_order_independent() -> None:
    assert match_id("n", 1, "r", 2) == match_id("n", 1, "r", 2)
    assert len(match_id("n", 1, "r", 2)) == 32
    assert match_id("n", 1, "r", 2) != match_id("n", 2, "r", 2)


def test_match_ids_grow_with_the_newer_postings_creation_second() -> None:
    earlier, later = (ObjectId.from_datetime(datetime(2026, 12, 4, h, tzinfo=UTC)) for h in (9, 10))
    assert match_id(f"need_{later}", 1, f"res_{earlier}", 1).startswith(str(later)[:8])
    assert match_id(f"need_{earlier}", 1, f"res_{later}", 3).startswith(str(later)[:8]), "a new result, an old need"
    needs = [f"need_{ObjectId.from_datetime(datetime(2026, 12, 4, 10, 0, s, tzinfo=UTC))}" for s in (1, 2, 3)]
    ids = [match_id(need, 1, f"res_{earlier}", 1) for need in needs]
    assert ids == sorted(ids) and {len(i) for i in ids} == {32}
    assert match_id(needs[0], 1, f"res_{earlier}", 1) != match_id(needs[0], 2, f"res_{earlier}", 1)


def test_closed_or_withdrawn_posting_is_removed() -> None:
    engine = _engine()
    engine.upsert(_rice_need())
    engine.upsert(_rice_result())
    engine.upsert(_rice_result(status="withdrawn", version=2))
    assert engine.matches_for("n-rice") == []
    assert engine.matches_for("r-rice") == []
    engine.upsert(_rice_result(version=3))
    engine.upsert(_rice_need(status="closed", version=2))
    assert engine.matches_for("r-rice") == [] and len(engine) == 2


def test_update_changes_matches_without_rebuild() -> None:
    engine = _engine()
    engine.upsert(_rice_need())
    engine.upsert(_rice_result())
    engine.upsert(_rice_result(title="锂电池回收", abstract="废旧电池回收工艺", keywords=("电池",),
                               version=2))
    assert "r-rice" not in engine.counterpart_ids_of("n-rice")


def test_declined_pair_is_never_proposed_again_in_either_direction() -> None:
    engine = _engine()
    engine.upsert(_rice_need())
    engine.upsert(_rice_result())
    engine.record_decline("n-rice", "r-rice", "firm", "other")
    assert engine.matches_for("n-rice") == [] and engine.matches_for("r-rice") == []
    engine.upsert(_rice_result(version=2))
    assert engine.matches_for("n-rice") == []


def test_too_early_stage_raises_the_org_trl_floor() -> None:
    engine = _engine()
    engine.upsert(_rice_result(id="r-early", trl=3))
    engine.upsert(_rice_result(id="r-mid", trl=5))
    engine.upsert(_rice_need(trl_min=None, trl_max=None))
    engine.record_decline("n-rice", "r-early", "firm", "too_early_stage")
    engine.upsert(_rice_need(id="n-rice2", trl_min=None, trl_max=None))
    ids = engine.counterpart_ids_of("n-rice2")
    assert "r-mid" in ids and "r-early" not in ids
    engine.record_decline("n-rice2", "r-mid", "firm", "too_early_stage")
    engine.upsert(_rice_result(id="r-mid2", trl=5))
    assert "r-mid2" not in engine.counterpart_ids_of("n-rice")


def test_too_expensive_caps_the_price_and_not_relevant_lowers_shared_terms() -> None:
    engine = _engine()
    engine.upsert(_rice_result(id="r-dear", price_min=90e4, price_max=None))
    engine.upsert(_rice_result(id="r-dearer", price_min=95e4, price_max=None))
    engine.upsert(_rice_result(id="r-cheap", price_min=10e4, price_max=None))
    engine.upsert(_rice_need())
    before = {m.counterpart_id: m.score for m in engine.matches_for("n-rice")}
    engine.record_decline("n-rice", "r-dear", "firm", "too_expensive")
    after = engine.counterpart_ids_of("n-rice")
    assert "r-dearer" not in after and "r-cheap" in after
    engine.record_decline("n-rice", "r-cheap", "firm", "not_relevant")
    engine.upsert(_rice_result(id="r-cheap2", price_min=10e4, price_max=None))
    lowered = {m.counterpart_id: m.score for m in engine.matches_for("n-rice")}
    assert lowered.get("r-cheap2", 0.0) < before["r-cheap"]


def test_already_solved_stops_proposals_for_that_need() -> None:
    engine = _engine()
    engine.upsert(_rice_result())
    engine.upsert(_rice_result(id="r-rice2"))
    engine.upsert(_rice_need())
    engine.record_decline("n-rice", "r-rice", "firm", "already_solved")
    assert engine.matches_for("n-rice") == [] and engine.matches_for("r-rice2") == []


def test_experts_match_needs_both_ways() -> None:
    engine = _engine()
    engine.upsert(Expert(id="e1", org_id="univ3", name="张三", fields=("作物遗传育种",),
                         keywords=("水稻", "育种"),
                         is_tech_commissioner=True))
    engine.upsert(_rice_need())
    assert "e1" in engine.counterpart_ids_of("n-rice")
    assert [m.need_id for m in engine.matches_for("e1")] == ["n-rice"]


def test_garbage_text_never_crashes_and_structure_still_matches() -> None:
    engine = _engine()
    engine.upsert(Need(id="g1", org_id="firm", title="!!!", description="😀😀", keywords=("",)))
    assert engine.matches_for("g1") == []
    engine.upsert(Result(id="g2", org_id="u", title="", abstract="!!!", industry_codes=("C3911",)))
    engine.upsert(Need(id="g3", org_id="firm", title="###", industry_codes=("C3911",)))
    assert isinstance(engine.matches_for("g2"), list)
    assert isinstance(engine.matches_for("g3"), list)
    assert engine.matches_for("missing") == []


def test_three_way_financing_attached_when_price_exceeds_budget() -> None:
    engine = _engine()
    engine.upsert_firm(Firm(id="firm", patents_held=3, qualifications=("high_tech_enterprise",),
                            region="430104",
                            founded_year=2015, revenue_band=2))
    engine.upsert(Product(id="p-pledge", org_id="bank", product_type="ip_pledge_loan", amount_min=10e4,
                          amount_max=500e4, term_months=24))
    engine.upsert(Product(id="p-giant", org_id="bank", required_qualifications=("tech_little_giant",)))
    engine.upsert(_rice_result(price_min=150e4, price_max=200e4))
    engine.upsert(_rice_need(budget_max=100e4))
    match = engine.matches_for("n-rice")[0]
    assert [option.product_id for option in match.financing] == ["p-pledge"]
    assert "50万元" in match.financing[0].explanation


def test_a_firm_whose_certificate_has_expired_no_longer_qualifies() -> None:
    engine = _engine()
    engine.upsert_firm(firm_from(OrgData.model_validate({
        "id": "lapsed", "version": 1, "name": "L", "kind": "firm",
        "qualifications": [{"code": "high_tech_enterprise", "expires_on": "2025-05-31"}]})))
    engine.upsert_firm(firm_from(OrgData.model_validate({
        "id": "valid", "version": 1, "name": "V", "kind": "firm",
        "qualifications": [{"code": "high_tech_enterprise", "expires_on": "2025-06-01"}]})))
    engine.upsert(Product(id="p", org_id="bank", required_qualifications=("high_tech_enterprise",)))
    assert [m.need_org_id for m in engine.matches_for("p")] == ["valid"], f"today is {TODAY}"


def test_eligibility_is_judged_on_the_current_date_not_the_start_up_one(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = MatchingEngine()

    class Later(date):
        @classmethod
        def today(cls) -> date:
            return date(2099, 1, 1)

    monkeypatch.setattr(engine_module, "date", Later)
    assert engine.today == date(2099, 1, 1)


def test_a_financing_product_never_names_a_firms_confidential_need() -> None:
    engine = _engine()
    engine.upsert_firm(Firm(id="firm", patents_held=3))
    engine.upsert(_rice_need(id="n-secret", budget_max=300e4, confidential=True))
    engine.upsert(_rice_need(id="n-open", budget_max=50e4))
    engine.upsert(Product(id="p", org_id="bank", amount_min=1e4, amount_max=1e6))
    assert [m.need_id for m in engine.matches_for("p")] == ["n-open"]
    engine.remove("n-open")
    assert [m.need_id for m in engine.matches_for("p")] == ["firm"], "the firm itself, its secret need unnamed"


def test_a_financing_product_is_proposed_to_firms_only() -> None:
    engine = _engine()
    engine.upsert_firm(Firm(id="firm"))
    for kind in ("university", "institute", "financier", "organiser"):
        engine.upsert_firm(Firm(id=kind, kind=kind, patents_held=300))
    engine.upsert(Product(id="p", org_id="bank", product_type="credit_loan"))
    assert [m.need_org_id for m in engine.matches_for("p")] == ["firm"]


def test_ip_pledge_loan_never_matches_a_firm_without_patents() -> None:
    engine = _engine()
    engine.upsert_firm(Firm(id="nopat", patents_held=0))
    engine.upsert_firm(Firm(id="haspat", patents_held=1))
    engine.upsert(Product(id="p", org_id="bank", product_type="ip_pledge_loan", amount_min=1e4,
                          amount_max=1e6))
    engine.upsert(Need(id="n-nopat", org_id="nopat", title="水稻", budget_max=50e4))
    matches = engine.matches_for("p")
    assert [m.need_org_id for m in matches] == ["haspat"]
    assert matches[0].counterpart_kind == "product" and matches[0].need_id == "haspat"
