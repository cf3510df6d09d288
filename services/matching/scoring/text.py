"""Text relevance: BM25 against the query's ideal score, blended with a fuzzy title comparison."""

from services.matching.domain import Component
from services.matching.scoring.explain import component, listing


def text_relevance(bm25_ratio: float, fuzzy: float, shared_terms: list[str]) -> Component:
    """``bm25_ratio`` = BM25 / ideal (1.0 ≈ every query term once in an average document);
    ``fuzzy`` = rapidfuzz token-set similarity of the segmented texts in [0,1]."""
    score = text_score(bm25_ratio, fuzzy)
    if not shared_terms:
        return component("text", score, "文本无共同词语")
    return component("text", score, f"文本相关度 {score:.2f}，共同词语: {listing(shared_terms, 8)}")


def text_score(bm25_ratio: float, fuzzy: float) -> float:
    """The score of ``text_relevance`` alone (before clipping)."""
    lexical = bm25_ratio / (bm25_ratio + 0.35) * 1.35 if bm25_ratio > 0 else 0.0
    return 0.75 * min(1.0, lexical) + 0.25 * fuzzy
