"""Structured components of a (need, counterpart) pair, plus the weighted-mean combination."""

from dataclasses import replace

from services.matching.domain import Component, Expert, Need, Result, Weights
from services.matching.scoring.budget import budget_fit
from services.matching.scoring.cooperation import cooperation_fit
from services.matching.scoring.explain import component
from services.matching.scoring.industry import industry_match
from services.matching.scoring.region import region_fit
from services.matching.scoring.trl import trl_fit


def structured_components(need: Need, counterpart: Result | Expert, budget_tolerance: float = 1.0,
                          trl_floor: int | None = None) -> list[Component | None]:
    if isinstance(counterpart, Expert):
        commissioner = "，科技特派员" if counterpart.is_tech_commissioner else ""
        fields = "、".join(counterpart.fields)
        wording = f"专家 {counterpart.name}{commissioner}" + (f"（{fields}）" if fields else "")
        expert = component("expert", 1.0, wording)
        return [expert if counterpart.is_tech_commissioner else None]
    trl_min = need.trl_min if trl_floor is None else max(need.trl_min or 1, trl_floor)
    return [
        industry_match(need.industry_codes, counterpart.industry_codes),
        trl_fit(trl_min, need.trl_max, counterpart.trl),
        budget_fit(need.budget_min, need.budget_max, counterpart.price_min, counterpart.price_max,
                   budget_tolerance),
        cooperation_fit(need.cooperation_modes, counterpart.transfer_modes),
        region_fit(need.region, counterpart.region),
    ]


def weight_of(name: str, weights: Weights) -> float:
    """Component name → its weight (an unknown name, e.g. ``expert``, weighs like ``region``)."""
    return float(getattr(weights, name, weights.region))


def weighted_score(components: list[Component | None], weights: Weights) -> float:
    """Weighted mean over the components that apply (the score alone, for ranking candidates)."""
    total = score = 0.0
    for item in components:
        if item is not None:
            weight = weight_of(item.name, weights)
            total += weight
            score += item.score * weight
    return round(min(1.0, max(0.0, score / total)), 6) if total > 0 else 0.0


def combine(components: list[Component | None], weights: Weights) -> tuple[float, tuple[Component, ...]]:
    """Weighted mean over the components that apply; each keeps its normalised weight."""
    present = [item for item in components if item is not None]
    total = sum(weight_of(item.name, weights) for item in present)
    if not present or total <= 0:
        return 0.0, ()
    weighted = tuple(replace(item, weight=round(weight_of(item.name, weights) / total, 4))
                     for item in present)
    return weighted_score(present, weights), weighted
