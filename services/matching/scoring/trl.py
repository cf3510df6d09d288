"""Technology readiness level fit: the result's TRL against the need's accepted range."""

from services.matching.domain import Component
from services.matching.scoring.explain import component, span


def trl_fit(trl_min: int | None, trl_max: int | None, trl: int | None) -> Component | None:
    """Inside the range scores 1; each level outside costs 0.3. Unknown on either side → n/a."""
    if trl is None or (trl_min is None and trl_max is None):
        return None
    low, high = trl_min if trl_min is not None else 1, trl_max if trl_max is not None else 9
    wanted = span(low, high)
    if low <= trl <= high:
        return component("trl", 1.0, f"TRL {trl} 在需求范围 {wanted} 内")
    gap = low - trl if trl < low else trl - high
    side = "低于" if trl < low else "高于"
    return component("trl", 1.0 - 0.3 * gap, f"TRL {trl} {side}需求范围 {wanted}（相差 {gap} 级）")
