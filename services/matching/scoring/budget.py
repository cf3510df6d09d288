"""Budget vs asking price. Overlapping ranges fit fully; a price above the budget loses score
linearly with the overrun, reaching 0 at ``tolerance`` (1.0 = twice the budget)."""

from services.matching.domain import Component
from services.matching.scoring.explain import component, money, money_range


def budget_fit(budget_min: float | None, budget_max: float | None, price_min: float | None,
               price_max: float | None, tolerance: float = 1.0) -> Component | None:
    if (budget_min is None and budget_max is None) or (price_min is None and price_max is None):
        return None
    asking = price_min if price_min is not None else price_max
    assert asking is not None
    price = money_range(price_min, price_max)
    if budget_max is None or asking <= budget_max:
        return component("budget", 1.0, f"报价 {price} 在预算 {money_range(budget_min, budget_max)} 内")
    if budget_max <= 0:  # no money at all: any price is out of reach (there is no share to say it by)
        return component("budget", 0.0, f"报价 {price} 超出预算上限 {money(budget_max)}")
    overrun = (asking - budget_max) / budget_max
    score = max(0.0, 1.0 - overrun / tolerance) if tolerance > 0 else 0.0
    return component("budget", score, f"报价 {price} 超出预算上限 {money(budget_max)} {overrun:.0%}")


def price_gap(budget_max: float | None, price_min: float | None) -> float:
    """The amount a need's firm would have to finance to afford the result (0 if none)."""
    if budget_max is None or price_min is None:
        return 0.0
    return max(0.0, price_min - budget_max)
