"""Keyword overlap: each of the need's keywords found as a phrase in the counterpart's keywords
or text counts fully; a keyword only partly present (some of its segmented words) counts partly."""

from services.matching.domain import Component
from services.matching.scoring.explain import component, listing
from services.matching.text import compact, tokens


def keyword_overlap(keywords: tuple[str, ...], counterpart_keywords: tuple[str, ...],
                    counterpart_text: str) -> Component | None:
    """``counterpart_text`` is the counterpart's text in ``compact`` form (normalised, no spaces)."""
    wanted = [(keyword, compact(keyword)) for keyword in keywords]
    wanted = [(keyword, key) for keyword, key in wanted if key]
    if not wanted:
        return None
    their_keywords = {compact(keyword) for keyword in counterpart_keywords} - {""}
    exact: list[str] = []
    partial: list[str] = []
    total = 0.0
    for keyword, key in wanted:
        if key in their_keywords or key in counterpart_text:
            exact.append(keyword)
            total += 1.0
            continue
        parts = {token for token in tokens(keyword) if len(token) > 1} or set(tokens(keyword))
        found = [part for part in parts if part in counterpart_text]
        if parts and found:
            share = len(found) / len(parts)
            total += 0.6 * share
            partial.append(keyword)
    score = total / len(wanted)
    if not exact and not partial:
        return component("keywords", 0.0, "无共同关键词")
    pieces = [f"共同关键词: {listing(exact)}"] if exact else []
    if partial:
        pieces.append(f"部分相关: {listing(partial)}")
    return component("keywords", score, "；".join(pieces))
