"""Industry code match (GB/T 4754 style: section letter, then 2-, 3-, 4-digit groups)."""

from services.matching.domain import Component
from services.matching.scoring.explain import component


def _pair_score(left: str, right: str) -> float:
    a, b = left.strip().upper(), right.strip().upper()
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    if a.startswith(b) or b.startswith(a):
        return 0.8
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return min(0.6, 0.2 * common)


def industry_match(need_codes: tuple[str, ...], counterpart_codes: tuple[str, ...]) -> Component | None:
    if not need_codes or not counterpart_codes:
        return None
    best, pair = max((_pair_score(a, b), (a, b)) for a in need_codes for b in counterpart_codes)
    if best >= 1.0:
        return component("industry", best, f"行业代码一致: {pair[0]}")
    if best > 0:
        return component("industry", best, f"行业相近: {pair[0]} 与 {pair[1]}")
    return component("industry", 0.0, "行业代码不同")
