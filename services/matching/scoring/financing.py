"""Financing products: hard eligibility first, then amount and term fit.

Eligibility (all must hold, else the product is never proposed to the firm):
the organisation is a firm (not a university, institute, financier or organiser); required qualifications held
(a certificate past its expiry date is not);
at least ``min_patents`` patents — and an ``ip_pledge_loan`` always
needs at least one (nothing to pledge otherwise); revenue band ≥ ``min_revenue_band``; years since
founding ≥ ``min_years_since_founding``; the firm's region inside the product's regions (empty =
anywhere). Then: the amount sought inside [amount_min, amount_max] fits fully, and the term fits
the horizon the project needs (shorter for mature technology, longer for early stage).
"""

from datetime import date

from services.matching.domain import Component, Firm, Product, revenue_ordinal
from services.matching.scoring.explain import (
    PRODUCT_TYPE_NAMES,
    QUALIFICATION_NAMES,
    component,
    money,
    money_range,
)
from services.matching.scoring.region import region_allowed


def eligibility(product: Product, firm: Firm, today: date) -> tuple[bool, str]:
    """(eligible, explanation). The explanation names the first failed rule, or what was met."""
    if firm.kind != "firm":
        return False, "仅面向企业"
    missing = [q for q in product.required_qualifications if not firm.holds(q, today)]
    if missing:
        return False, "缺少资质: " + "、".join(QUALIFICATION_NAMES.get(q, q) for q in missing)
    min_patents = max(product.min_patents, 1 if product.product_type == "ip_pledge_loan" else 0)
    if firm.patents_held < min_patents:
        return False, f"需至少 {min_patents} 件专利，企业持有 {firm.patents_held} 件"
    min_band = revenue_ordinal(product.min_revenue_band)
    if revenue_ordinal(firm.revenue_band) < min_band:
        return False, f"营业收入档位低于要求（需 ≥ {min_band} 档）"
    if product.min_years_since_founding:
        if firm.founded_year is None:
            return False, "成立年限未知"
        years = today.year - firm.founded_year
        if years < product.min_years_since_founding:
            return False, f"成立 {years} 年，需 ≥ {product.min_years_since_founding} 年"
    if not region_allowed(product.regions, firm.region):
        return False, f"不在服务地区: {'、'.join(product.regions)}"
    met = [QUALIFICATION_NAMES.get(q, q) for q in product.required_qualifications]
    if min_patents:
        met.append(f"专利 {firm.patents_held} 件 ≥ {min_patents}")
    kind = PRODUCT_TYPE_NAMES.get(product.product_type, product.product_type)
    return True, f"{kind}准入条件满足" + (f": {'、'.join(met)}" if met else "")


def amount_fit(product: Product, amount: float | None) -> Component | None:
    """1 inside the product's range; below the minimum still fits (0.7); above the maximum the
    product covers only part of it (score = covered share)."""
    if amount is None or amount <= 0 or (product.amount_min is None and product.amount_max is None):
        return None
    offered = money_range(product.amount_min, product.amount_max)
    if product.amount_max is not None and amount > product.amount_max:
        share = product.amount_max / amount
        wording = f"资金缺口 {money(amount)}，产品额度 {offered} 可覆盖 {share:.0%}"
        return component("financing_amount", share, wording)
    if product.amount_min is not None and amount < product.amount_min:
        return component("financing_amount", 0.7, f"资金缺口 {money(amount)} 低于产品起贷额 {offered}")
    return component("financing_amount", 1.0, f"资金缺口 {money(amount)} 在产品额度 {offered} 内")


def horizon_months(trl: int | None) -> int | None:
    """Months a project typically needs to pay back: mature (TRL ≥ 7) 12, mid (4–6) 24, early 36."""
    if trl is None:
        return None
    return 12 if trl >= 7 else 24 if trl >= 4 else 36


def term_fit(product: Product, months_needed: int | None) -> Component | None:
    if months_needed is None or not product.term_months:
        return None
    cycle = f"约 {months_needed} 个月的转化周期"
    if product.term_months >= months_needed:
        return component("financing_term", 1.0, f"期限 {product.term_months} 个月覆盖{cycle}")
    share = product.term_months / months_needed
    return component("financing_term", share, f"期限 {product.term_months} 个月短于{cycle}")
