"""Keyword overlap: each of the need's keywords found as a phrase in the counterpart's keywords
or text counts fully; a keyword only partly present (some of its segmented words) counts partly.

``wanted_keywords`` prepares a need's keywords once (normalised phrase and segmented parts), so a
need compared with many counterparts does not segment them again for each.
"""

from typing import NamedTuple

from services.matching.domain import Component
from services.matching.scoring.explain import component, listing
from services.matching.text import compact, tokens

Wanted = tuple[tuple[str, str, frozenset[str]], ...]  # (keyword, compact phrase, segmented parts)
PARTIAL = 0.6


def wanted_keywords(keywords: tuple[str, ...]) -> Wanted:
    wanted = []
    for keyword in keywords:
        if key := compact(keyword):
            parts = frozenset(token for token in tokens(keyword) if len(token) > 1) or frozenset(tokens(keyword))
            wanted.append((keyword, key, parts))
    return tuple(wanted)


class Overlap(NamedTuple):
    """How a need's keywords meet one counterpart."""

    total: float  # credit: 1 per keyword found whole, 0.6 × the found share of a keyword found in part
    exact: list[str]
    partial: list[str]
    wanted: int  # how many keywords the need has

    @property
    def score(self) -> float:
        return self.total / self.wanted


def overlap(wanted: Wanted, counterpart_keywords: tuple[str, ...], counterpart_text: str) -> Overlap | None:
    """None when the need has no keywords."""
    if not wanted:
        return None
    their_keywords = {compact(keyword) for keyword in counterpart_keywords} - {""} if counterpart_keywords else ()
    exact: list[str] = []
    partial: list[str] = []
    total = 0.0
    for keyword, key, parts in wanted:
        if key in their_keywords or key in counterpart_text:
            exact.append(keyword)
            total += 1.0
            continue
        found = [part for part in parts if part != key and part in counterpart_text]  # key: not in the text
        if parts and found:
            total += PARTIAL * (len(found) / len(parts))
            partial.append(keyword)
    return Overlap(total, exact, partial, len(wanted))


def keyword_overlap(keywords: tuple[str, ...], counterpart_keywords: tuple[str, ...],
                    counterpart_text: str) -> Component | None:
    """``counterpart_text`` is the counterpart's text in ``compact`` form (normalised, no spaces)."""
    return explain_overlap(overlap(wanted_keywords(keywords), counterpart_keywords, counterpart_text))


def explain_overlap(found: Overlap | None) -> Component | None:
    if found is None:
        return None
    if not found.exact and not found.partial:
        return component("keywords", 0.0, "无共同关键词")
    pieces = [f"共同关键词: {listing(found.exact)}"] if found.exact else []
    if found.partial:
        pieces.append(f"部分相关: {listing(found.partial)}")
    return component("keywords", found.score, "；".join(pieces))
