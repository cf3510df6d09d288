"""Posting lists of the inverted index, and the per-term numbers retrieval reuses between queries.

* ``Postings``: one term's (document slot, term weight) pairs, grown by doubling, tombstones
  compacted away once more than half of them are dead.
* ``TermStats``: what a query needs of a term besides its idf — the alive slots, each slot's BM25
  saturation ``(k1 + 1)·tf / (tf + norm)`` and the field counts of the list. They depend only on the
  term's postings and the catalogue's average length, so they are computed once and reused until the
  index changes (needs arrive far more often than the catalogue they are matched against changes).
* ``shortlist_floor``: the BM25 below which a document cannot make a capped, bonus-lifted top-k.
"""

import numpy as np

NO_FIELD = -1
CACHED_FROM = 32  # posting lists shorter than this are cheaper to recompute than to keep


class Postings:
    __slots__ = ("dead", "ids", "size", "weights")

    def __init__(self) -> None:
        self.ids = np.empty(4, dtype=np.int32)
        self.weights = np.empty(4, dtype=np.float32)
        self.size = 0
        self.dead = 0

    def append(self, slot: int, weight: float) -> None:
        if self.size == len(self.ids):
            self.ids = np.resize(self.ids, max(4, self.size * 2))
            self.weights = np.resize(self.weights, max(4, self.size * 2))
        self.ids[self.size] = slot
        self.weights[self.size] = weight
        self.size += 1

    def compact(self, alive: np.ndarray) -> None:
        keep = alive[self.ids[: self.size]]
        self.ids = self.ids[: self.size][keep].copy()
        self.weights = self.weights[: self.size][keep].copy()
        self.size = len(self.ids)
        self.dead = 0

    def alive(self, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(slots, weights) of the live postings."""
        ids, weights = self.ids[: self.size], self.weights[: self.size]
        if self.dead:
            keep = alive[ids]
            return ids[keep], weights[keep]
        return ids, weights


class TermStats:
    """Per-term numbers valid for one state of the index (saturation, field votes) and field counts
    (valid until one of the term's documents changes)."""

    def __init__(self) -> None:
        self._views: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._votes: dict[int, tuple[np.ndarray, float]] = {}
        self._fields: dict[int, np.ndarray] = {}
        self.stale = False

    def __getstate__(self) -> dict[str, bool]:  # caches are not worth pickling
        return {"stale": True}

    def __setstate__(self, state: dict[str, bool]) -> None:
        self.__init__()  # type: ignore[misc]

    def changed(self, term_ids: list[int]) -> None:
        """The documents of ``term_ids`` changed (and with them the average length, the field sizes)."""
        self.stale = True
        for term_id in term_ids:
            self._fields.pop(term_id, None)

    def _fresh(self) -> None:
        if self.stale:
            self._views.clear()
            self._votes.clear()
            self.stale = False

    def saturation(self, term_id: int, postings: Postings, alive: np.ndarray, lengths: np.ndarray,
                   k1: float, b: float, avgdl: float) -> tuple[np.ndarray, np.ndarray]:
        """(slots, (k1 + 1)·tf / (tf + k1·(1 − b + b·length/avgdl))) of the term's live postings."""
        self._fresh()
        cached = self._views.get(term_id)
        if cached is not None:
            return cached
        ids, tf = postings.alive(alive)
        norm = k1 * (1.0 - b + b * lengths[ids] / avgdl)
        view = ids, (k1 + 1.0) * tf / (tf + norm)
        if postings.size >= CACHED_FROM:
            self._views[term_id] = view
        return view

    def field_votes(self, term_id: int, ids: np.ndarray, fields: np.ndarray, prior: np.ndarray,
                    smoothing: float) -> tuple[np.ndarray, float]:
        """(counts + smoothing·prior, Σ counts + smoothing): the term's smoothed field vote, as a
        numerator and its denominator, where counts are the fields of the term's live documents."""
        self._fresh()
        cached = self._votes.get(term_id)
        if cached is not None:
            return cached
        counts = self._fields.get(term_id)
        if counts is None or len(counts) != len(prior):
            counts = np.bincount(fields[ids] + 1, minlength=len(prior) + 1)[1:].astype(np.float64)  # -1: none
            if len(ids) >= CACHED_FROM:
                self._fields[term_id] = counts
        votes = counts + smoothing * prior, counts.sum() + smoothing
        if len(ids) >= CACHED_FROM:
            self._votes[term_id] = votes
        return votes


def shortlist_floor(scores: np.ndarray, keep: int, cap: float, slack: float) -> float:
    """A score below which no document can be among the ``keep`` best by ``min(score, cap) + bonus``
    when every bonus lies in [0, ``slack``] (``scores`` dense and ≥ 0; 0 = not found).

    The ``keep``-th largest capped score ``c`` is a lower bound of the ``keep``-th best lifted score,
    so a document needs ``min(score, cap) + slack ≥ c``. ``c`` is found among the documents above a
    threshold halved until at least ``keep`` pass, which avoids a selection over all of ``scores``.
    """
    top = float(scores.max(initial=0.0))
    for halvings in range(1, 11):
        passing = scores >= top / 2**halvings
        if np.count_nonzero(passing) >= keep:
            above = np.minimum(scores[passing], np.float32(cap))
            kth = float(np.partition(above, len(above) - keep)[len(above) - keep])
            return kth - slack - 1e-5 * top  # a hair low: float32 rounding only widens the list
    return 0.0  # too few documents score at all: keep them all
