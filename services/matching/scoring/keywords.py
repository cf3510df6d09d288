"""Keyword overlap: each of the need's keywords found as a phrase in the counterpart's keywords
or text counts fully; a keyword only partly present (some of its segmented words) counts partly.

``wanted_keywords`` prepares a need's keywords once (normalised phrase and segmented parts), so a
need compared with many counterparts does not segment them again for each.
"""

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


def _overlap(wanted: Wanted, counterpart_keywords: tuple[str, ...], counterpart_text: str,
             ) -> tuple[float, list[str], list[str]]:
    """(total credit, keywords found whole, keywords found in part)."""
    their_keywords = {compact(keyword) for keyword in counterpart_keywords} - {""} if counterpart_keywords else ()
    exact: list[str] = []
    partial: list[str] = []
    total = 0.0
    for keyword, key, parts in wanted:
        if key in their_keywords or key in counterpart_text:
            exact.append(keyword)
            total += 1.0
            continue
        found = [part for part in parts if part in counterpart_text]
        if parts and found:
            total += PARTIAL * (len(found) / len(parts))
            partial.append(keyword)
    return total, exact, partial


def keyword_score(wanted: Wanted, counterpart_keywords: tuple[str, ...], counterpart_text: str) -> float | None:
    """The score of ``keyword_overlap`` alone (None when the need has no keywords)."""
    if not wanted:
        return None
    return _overlap(wanted, counterpart_keywords, counterpart_text)[0] / len(wanted)


def keyword_overlap(keywords: tuple[str, ...], counterpart_keywords: tuple[str, ...],
                    counterpart_text: str) -> Component | None:
    """``counterpart_text`` is the counterpart's text in ``compact`` form (normalised, no spaces)."""
    return explain_keywords(wanted_keywords(keywords), counterpart_keywords, counterpart_text)


def explain_keywords(wanted: Wanted, counterpart_keywords: tuple[str, ...], counterpart_text: str) -> Component | None:
    """``keyword_overlap`` of keywords prepared by ``wanted_keywords``."""
    if not wanted:
        return None
    total, exact, partial = _overlap(wanted, counterpart_keywords, counterpart_text)
    if not exact and not partial:
        return component("keywords", 0.0, "无共同关键词")
    pieces = [f"共同关键词: {listing(exact)}"] if exact else []
    if partial:
        pieces.append(f"部分相关: {listing(partial)}")
    return component("keywords", total / len(wanted), "；".join(pieces))
