"""Financing in matches: products attached to a need→result match (three-way), and a product's
own matches with eligible firms (firm ↔ product)."""

import hashlib
from collections.abc import Iterable
from datetime import date

from services.matching.domain import FinancingOption, Firm, Need, Product, Result, ScoredMatch, Weights
from services.matching.scoring.budget import price_gap
from services.matching.scoring.explain import component, money
from services.matching.scoring.financing import amount_fit, eligibility, horizon_months, term_fit
from services.matching.scoring.pairs import combine

MAX_ATTACHED = 3


def financing_options(need: Need, result: Result, firm: Firm | None, products: Iterable[Product],
                      weights: Weights, today: date) -> tuple[FinancingOption, ...]:
    """Products the need's firm is eligible for, when the result asks more than the need's budget:
    the gap is the amount to finance; best amount/term fit first (then product id)."""
    gap = price_gap(need.budget_max, result.price_min)
    if gap <= 0 or firm is None:
        return ()
    options = []
    for product in products:
        eligible, why = eligibility(product, firm, today)
        if not eligible:
            continue
        score, parts = combine([amount_fit(product, gap), term_fit(product, horizon_months(result.trl))],
                               weights)
        score = score if parts else 0.5
        explanation = f"报价超出预算 {money(gap)}；{why}" + "".join(f"；{part.explanation}" for part in parts)
        options.append(FinancingOption(product.id, product.org_id, round(score, 4), explanation))
    options.sort(key=lambda option: (-option.score, option.product_id))
    return tuple(options[:MAX_ATTACHED])


def _sought_amount(needs: list[Need]) -> tuple[Need | None, float | None]:
    """The firm's largest open need by budget: its project size is the amount it may finance."""
    with_budget = [need for need in needs if need.budget_max]
    if not with_budget:
        return (min(needs, key=lambda need: need.id) if needs else None), None
    best = max(with_budget, key=lambda need: (need.budget_max or 0.0, need.id))
    return best, best.budget_max


def product_matches(product: Product, firms: dict[str, Firm], needs_by_org: dict[str, list[Need]],
                    weights: Weights, today: date, blocked: set[frozenset[str]],
                    limit: int) -> list[ScoredMatch]:
    """Eligible firms for a product. Only firms with a profile are considered (eligibility needs
    facts); a firm's best open need, if any, is the left side of the pair, else the firm itself."""
    matches = []
    for firm in firms.values():
        if firm.id == product.org_id:
            continue
        eligible, why = eligibility(product, firm, today)
        if not eligible:
            continue
        need, amount = _sought_amount(needs_by_org.get(firm.id, []))
        left_id, left_version = (need.id, need.version) if need else (firm.id, 0)
        if frozenset((left_id, product.id)) in blocked or frozenset((firm.id, product.id)) in blocked:
            continue
        score, parts = combine([component("financing_eligibility", 1.0, why), amount_fit(product, amount)],
                               weights)
        key = f"{left_id}@{left_version}|{product.id}@{product.version}"
        matches.append(ScoredMatch(
            match_id=hashlib.sha256(key.encode()).hexdigest()[:32], need_id=left_id,
            counterpart_id=product.id, counterpart_kind="product", need_org_id=firm.id,
            counterpart_org_id=product.org_id, score=score, components=parts,
        ))
    matches.sort(key=lambda match: (-match.score, match.need_id))
    return matches[:limit]
