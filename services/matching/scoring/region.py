"""Region: administrative codes share prefixes (43 省 → 4301 市 → 430102 区); names compare equal."""

from services.matching.domain import Component
from services.matching.scoring.explain import component


def region_level(left: str, right: str) -> float:
    """1 same place, 0.8 same city, 0.6 same province, 0.3 elsewhere; a prefix code contains."""
    a, b = left.strip(), right.strip()
    if a == b or (a.isdigit() and b.isdigit() and (a.startswith(b) or b.startswith(a))):
        return 1.0
    if a.isdigit() and b.isdigit():
        if a[:4] == b[:4] and len(a) >= 4 and len(b) >= 4:
            return 0.8
        if a[:2] == b[:2]:
            return 0.6
    elif a and b and (a in b or b in a):
        return 0.8
    return 0.3


def region_fit(need_region: str | None, counterpart_region: str | None) -> Component | None:
    if not need_region or not counterpart_region:
        return None
    level = region_level(need_region, counterpart_region)
    wording = {1.0: "同一地区", 0.8: "同城", 0.6: "同省"}.get(level, "异地")
    return component("region", level, f"{wording}: {need_region} / {counterpart_region}")


def region_allowed(regions: tuple[str, ...], region: str | None) -> bool:
    """A product's service regions (empty = anywhere) cover ``region`` when one is a prefix of it."""
    if not regions:
        return True
    if not region:
        return False
    place = region.strip()  # a broader region (43 for a product serving 430121) may lie outside the product's
    return any(place.startswith(allowed.strip()) for allowed in regions if allowed.strip())
