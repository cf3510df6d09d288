"""Structured components of a (need, counterpart) pair, plus the weighted-mean combination."""

from collections.abc import Iterable

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


def weighted_sums(parts: Iterable[tuple[str, float]], weights: Weights) -> tuple[float, float]:
    """(Σ weight, Σ weight · score) of (component name, score) pairs, in order."""
    total = score = 0.0
    for name, value in parts:
        weight = weight_of(name, weights)
        total += weight
        score += value * weight
    return total, score


def mean_score(total: float, score: float) -> float:
    """``weighted_sums`` → the weighted mean, rounded as match scores are."""
    return round(min(1.0, max(0.0, score / total)), 6) if total > 0 else 0.0


def weighted_mean(parts: Iterable[tuple[str, float]], weights: Weights) -> float:
    return mean_score(*weighted_sums(parts, weights))


def weighted_score(components: list[Component | None], weights: Weights) -> float:
    """Weighted mean over the components that apply (the score alone, for ranking candidates)."""
    return weighted_mean(((item.name, item.score) for item in components if item is not None), weights)


def combine(components: list[Component | None], weights: Weights) -> tuple[float, tuple[Component, ...]]:
    """Weighted mean over the components that apply; each keeps its normalised weight."""
    present = [item for item in components if item is not None]
    shares = [weight_of(item.name, weights) for item in present]
    total = sum(shares)
    if not present or total <= 0:
        return 0.0, ()
    weighted = tuple(Component(item.name, item.score, round(share / total, 4), item.explanation)
                     for item, share in zip(present, shares, strict=True))
    weight = score = 0.0  # the same sums, in the same order, as ``weighted_sums``
    for item, share in zip(present, shares, strict=True):
        weight += share
        score += item.score * share
    return mean_score(weight, score), weighted
