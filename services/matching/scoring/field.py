"""Field fit: the need's field (学科/领域), inferred from the catalogue, against the counterpart's."""

import numpy as np

from services.matching.domain import Component
from services.matching.scoring.explain import component


def field_fit(inferred: dict[str, float], counterpart_field: str | None) -> Component | None:
    """``inferred`` maps field → probability for the need (from ``engine``'s field inference)."""
    score = field_score(inferred, counterpart_field)
    if score is None or counterpart_field is None:
        return None
    top_field, top_probability = max(inferred.items(), key=lambda item: item[1])
    if counterpart_field == top_field:
        return component("field", score, f"领域一致: {top_field}（推断置信 {top_probability:.2f}）")
    return component("field", score, f"需求领域推断为 {top_field}，对方领域为 {counterpart_field}")


def field_score(inferred: dict[str, float], counterpart_field: str | None) -> float | None:
    """The score of ``field_fit`` alone: the counterpart field's probability relative to the top one."""
    if not inferred or not counterpart_field:
        return None
    top_probability = max(inferred.values())
    return inferred.get(counterpart_field, 0.0) / top_probability if top_probability > 0 else 0.0


def infer_field_distribution(
    top_fields: np.ndarray, top_scores: np.ndarray, term_prior: np.ndarray,
    sharpness: float = 8.0, feedback_share: float = 0.7,
) -> np.ndarray:
    """P(field | need) from two catalogue-learned signals, both general (no labelled queries):

    * pseudo-relevance feedback — the fields of the best text candidates, each weighted by
      ``exp(-sharpness · (1 - score/best))`` so a clear winner dominates and near-ties share;
    * the term model — ``P(field | term)`` averaged over the need's terms (idf-weighted) from the
      index's posting lists.
    ``top_fields`` holds field ids (-1 = unlabelled) of the top candidates, best first.
    """
    n_fields = len(term_prior)
    if n_fields == 0:
        return term_prior
    labelled = top_fields >= 0
    if not labelled.any() or top_scores.max(initial=0.0) <= 0:
        return term_prior
    scores = top_scores[labelled].astype(np.float64)
    weights = np.exp(-sharpness * (1.0 - scores / scores.max()))
    feedback = np.bincount(top_fields[labelled], weights=weights, minlength=n_fields)
    feedback /= feedback.sum()
    return feedback_share * feedback + (1.0 - feedback_share) * term_prior


def as_mapping(distribution: np.ndarray, names: list[str], keep: int = 5) -> dict[str, float]:
    """The ``keep`` most likely fields as {name: probability}."""
    order = np.argsort(-distribution)[:keep]
    return {names[i]: float(distribution[i]) for i in order if distribution[i] > 0}
