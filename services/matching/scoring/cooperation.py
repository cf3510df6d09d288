"""Cooperation mode: the need's wanted modes against the result's offered transfer modes."""

from services.matching.domain import Component
from services.matching.scoring.explain import component, modes

# Related modes give partial credit: a licence can stand in for a transfer, etc.
_RELATED: dict[frozenset[str], float] = {
    frozenset({"transfer", "licence"}): 0.5,
    frozenset({"joint_development", "commissioned_rnd"}): 0.5,
    frozenset({"transfer", "equity"}): 0.3,
}


def cooperation_fit(wanted: tuple[str, ...], offered: tuple[str, ...]) -> Component | None:
    if not wanted or not offered:
        return None
    common = [mode for mode in wanted if mode in offered]
    if common:
        return component("cooperation", 1.0, f"合作方式一致: {modes(common)}")
    best = max((_RELATED.get(frozenset({a, b}), 0.0) for a in wanted for b in offered), default=0.0)
    if best > 0:
        return component("cooperation", best, f"合作方式相近: 需求 {modes(wanted)}，可提供 {modes(offered)}")
    return component("cooperation", 0.0, f"合作方式不符: 需求 {modes(wanted)}，可提供 {modes(offered)}")
