"""An incremental inverted index with BM25 weighting and a catalogue-learned field model.

* Documents are added, replaced and removed one at a time; nothing is ever rebuilt. A removed
  document's slot is tombstoned (``alive`` = False) and its postings are compacted per term once
  more than half of that term's postings are dead.
* Retrieval walks only the posting lists of the query's terms (vectorised with numpy), so its cost
  grows with those lists, not with the catalogue.
* Each document may carry one *field* label (a result's discipline). Because the postings know each
  document's field, ``P(field | term)`` is read straight off a term's posting list: the field model
  is learned from the indexed catalogue itself and stays exact under add/update/remove.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from services.matching.postings import NO_FIELD, Postings, TermStats, shortlist_floor


@dataclass(frozen=True, slots=True)
class Retrieval:
    """Candidates of one query: parallel arrays over the union of the query terms' postings."""

    slots: np.ndarray  # int32 document slots, ascending
    bm25: np.ndarray  # float32 BM25 score
    ideal: float  # BM25 score of an average-length document containing each query term once
    field_prior: np.ndarray  # float64 P(field | query terms), one entry per field id
    coverage: np.ndarray | None = None  # float32 idf-weighted share of the query matched, in [0,1]
    #                                     (None for a shortlist)


@dataclass(frozen=True, slots=True)
class Shortlist:
    """Ask ``search`` only for the documents that could be among the ``keep`` best by
    ``min(bm25, cap) + bonus``, for any per-document bonus in [0, ``slack``] (BM25 units)."""

    keep: int
    cap: float
    slack: float


class InvertedIndex:
    def __init__(self, k1: float = 1.2, b: float = 0.75, smoothing: float = 2.0) -> None:
        self.k1, self.b, self.smoothing = k1, b, smoothing
        self._term_ids: dict[str, int] = {}
        self._postings: list[Postings] = []
        self._df: list[int] = []
        self._slot_of: dict[str, int] = {}
        self._doc_ids: list[str | None] = []
        self._doc_terms: list[np.ndarray | None] = []
        self._doc_weights: list[np.ndarray | None] = []
        self._lengths = np.zeros(1024, dtype=np.float32)
        self._alive = np.zeros(1024, dtype=bool)
        self._fields = np.full(1024, NO_FIELD, dtype=np.int32)
        self._acc = np.zeros(1024, dtype=np.float32)
        self._cov = np.zeros(1024, dtype=np.float32)
        self._stats = TermStats()
        self._field_ids: dict[str, int] = {}
        self._field_names: list[str] = []
        self._field_docs: list[int] = []
        self._total_length = 0.0

    def __setstate__(self, state: dict[str, object]) -> None:
        """Unpickling: fresh scratch buffers (unpickled arrays carry non-canonical dtype objects,
        which send ``np.add.at`` down its slow, per-element path)."""
        self.__dict__.update(state)
        self._acc = np.zeros(len(self._alive), dtype=np.float32)
        self._cov = np.zeros(len(self._alive), dtype=np.float32)

    # ---- maintenance -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._slot_of

    @property
    def vocabulary_size(self) -> int:
        return len(self._term_ids)

    @property
    def field_names(self) -> list[str]:
        return self._field_names

    def upsert(self, doc_id: str, terms: Mapping[str, float], field: str | None = None) -> None:
        """Add a document, or replace the one with the same id (remove + add; no rebuild)."""
        self.remove(doc_id)
        slot = len(self._doc_ids)
        self._grow(slot + 1)
        term_ids = np.fromiter((self._term_id(term) for term in terms), dtype=np.int32, count=len(terms))
        weights = np.fromiter(terms.values(), dtype=np.float32, count=len(terms))
        order = np.argsort(term_ids)
        self._stats.changed(term_ids.tolist())
        for term_id, weight in zip(term_ids.tolist(), terms.values(), strict=True):
            self._postings[term_id].append(slot, weight)
            self._df[term_id] += 1
        length = float(sum(terms.values()))
        self._doc_ids.append(doc_id)
        self._doc_terms.append(term_ids[order])
        self._doc_weights.append(weights[order])
        self._lengths[slot] = length
        self._alive[slot] = True
        self._fields[slot] = self._field_id(field) if field else NO_FIELD
        if field:
            self._field_docs[self._fields[slot]] += 1
        self._total_length += length
        self._slot_of[doc_id] = slot

    def remove(self, doc_id: str) -> bool:
        slot = self._slot_of.pop(doc_id, None)
        if slot is None:
            return False
        self._alive[slot] = False
        self._total_length -= float(self._lengths[slot])
        if self._fields[slot] != NO_FIELD:
            self._field_docs[self._fields[slot]] -= 1
        term_ids = self._doc_terms[slot]
        self._doc_terms[slot] = None
        self._doc_weights[slot] = None
        self._doc_ids[slot] = None
        self._stats.changed(term_ids.tolist() if term_ids is not None else [])
        for term_id in term_ids.tolist() if term_ids is not None else ():
            self._df[term_id] -= 1
            postings = self._postings[term_id]
            postings.dead += 1
            if postings.dead * 2 > postings.size:
                postings.compact(self._alive)
        return True

    def _grow(self, needed: int) -> None:
        if needed <= len(self._alive):
            return
        capacity = max(needed, len(self._alive) * 2)
        self._lengths = np.resize(self._lengths, capacity)
        self._alive = np.concatenate([self._alive, np.zeros(capacity - len(self._alive), dtype=bool)])
        self._fields = np.concatenate(
            [self._fields, np.full(capacity - len(self._fields), NO_FIELD, dtype=np.int32)]
        )
        self._acc = np.zeros(capacity, dtype=np.float32)
        self._cov = np.zeros(capacity, dtype=np.float32)

    def _term_id(self, term: str) -> int:
        term_id = self._term_ids.get(term)
        if term_id is None:
            term_id = self._term_ids[term] = len(self._postings)
            self._postings.append(Postings())
            self._df.append(0)
        return term_id

    def _field_id(self, field: str) -> int:
        field_id = self._field_ids.get(field)
        if field_id is None:
            field_id = self._field_ids[field] = len(self._field_names)
            self._field_names.append(field)
            self._field_docs.append(0)
        return field_id

    # ---- lookups -----------------------------------------------------------------------------
    def doc_id(self, slot: int) -> str | None:
        return self._doc_ids[slot]

    def slot(self, doc_id: str) -> int | None:
        return self._slot_of.get(doc_id)

    def field_of(self, slot: int) -> str | None:
        field_id = int(self._fields[slot])
        return self._field_names[field_id] if field_id != NO_FIELD else None

    def field_ids_of(self, slots: np.ndarray) -> np.ndarray:
        return self._fields[slots]

    def idf(self, term: str) -> float:
        term_id = self._term_ids.get(term)
        df = self._df[term_id] if term_id is not None else 0
        return self._idf(df)

    def _idf(self, df: int) -> float:
        return math.log(1.0 + (len(self._slot_of) - df + 0.5) / (df + 0.5))

    def ideal(self, query: Mapping[str, float]) -> float:
        """The ``ideal`` normaliser of ``search`` for ``query``: Σ idf(term) · weight."""
        total = 0.0
        for term, weight in query.items():
            term_id = self._term_ids.get(term)
            if term_id is not None and self._df[term_id]:
                total += self._idf(self._df[term_id]) * weight
        return total

    def shared_terms(self, slot: int, terms: Mapping[str, float]) -> list[str]:
        """The query terms the document at ``slot`` contains, in query order."""
        query = list(terms)
        found = self.contains(slot, self.term_ids(query)).tolist()
        return [term for term, hit in zip(query, found, strict=True) if hit]

    def term_ids(self, terms: Iterable[str]) -> np.ndarray:
        """The ids of ``terms`` (-1 for a term the index has never seen)."""
        return np.fromiter((self._term_ids.get(term, -1) for term in terms), dtype=np.int32)

    def contains(self, slot: int, term_ids: np.ndarray) -> np.ndarray:
        """Which of ``term_ids`` the document at ``slot`` contains (bool per id)."""
        doc_terms = self._doc_terms[slot]
        if doc_terms is None or not len(doc_terms):
            return np.zeros(len(term_ids), dtype=bool)
        return doc_terms[np.minimum(np.searchsorted(doc_terms, term_ids), len(doc_terms) - 1)] == term_ids

    def score_one(self, slot: int, query: Mapping[str, float]) -> tuple[float, float]:
        """(BM25, ideal) of one document for ``query`` — the same numbers ``search`` gives it."""
        doc_terms, doc_weights = self._doc_terms[slot], self._doc_weights[slot]
        if doc_terms is None or doc_weights is None:
            return 0.0, 0.0
        avgdl = self._total_length / len(self._slot_of) if self._slot_of else 1.0
        norm = self.k1 * (1.0 - self.b + self.b * float(self._lengths[slot]) / avgdl)
        bm25 = ideal = 0.0
        for term, query_weight in query.items():
            term_id = self._term_ids.get(term)
            if term_id is None or self._df[term_id] == 0:
                continue
            idf = self._idf(self._df[term_id]) * query_weight
            ideal += idf
            position = int(np.searchsorted(doc_terms, term_id))
            if position < len(doc_terms) and doc_terms[position] == term_id:
                tf = float(doc_weights[position])
                bm25 += idf * (self.k1 + 1.0) * tf / (tf + norm)
        return bm25, ideal

    # ---- retrieval ---------------------------------------------------------------------------
    def search(self, query: Mapping[str, float], shortlist: Shortlist | None = None) -> Retrieval:
        """BM25 over the union of the query terms' postings, plus the term-level field prior; with a
        ``shortlist``, only the documents that can make it (and no coverage)."""
        n_fields = len(self._field_names)
        prior = np.asarray(self._field_docs, dtype=np.float64) + 1e-9
        prior /= prior.sum() if n_fields else 1.0
        field_votes = np.zeros(n_fields, dtype=np.float64)
        vote_weight = ideal = 0.0
        avgdl = self._total_length / len(self._slot_of) if self._slot_of else 1.0
        touched: list[np.ndarray] = []
        for term, query_weight in query.items():
            term_id = self._term_ids.get(term)
            if term_id is None or self._df[term_id] == 0:
                continue
            ids, saturation = self._stats.saturation(term_id, self._postings[term_id], self._alive,
                                                     self._lengths, self.k1, self.b, avgdl)
            idf = self._idf(self._df[term_id]) * query_weight
            ideal += idf
            np.add.at(self._acc, ids, saturation * np.float32(idf))
            if shortlist is None:
                np.add.at(self._cov, ids, np.full(len(ids), idf, dtype=np.float32))
            touched.append(ids)
            if n_fields:
                numerator, denominator = self._stats.field_votes(term_id, ids, self._fields, prior, self.smoothing)
                field_votes += idf * numerator / denominator
                vote_weight += idf
        field_prior = field_votes / vote_weight if vote_weight else prior[:n_fields]
        sparse = sum(len(ids) for ids in touched) * 16 < len(self._acc)
        if shortlist is not None and not sparse:
            floor = shortlist_floor(self._acc, shortlist.keep, shortlist.cap, shortlist.slack)
            slots = np.flatnonzero(self._acc >= floor if floor > 0 else self._acc > 0).astype(np.int32)
        elif sparse:
            slots = _union(touched)
        else:
            slots = np.flatnonzero(self._cov > 0).astype(np.int32)
        bm25 = self._acc[slots]
        coverage = None
        if shortlist is None:
            coverage = (self._cov[slots] / ideal if ideal else self._cov[slots]).astype(np.float32)
        for scratch in (self._acc, self._cov) if shortlist is None else (self._acc,):
            if sparse:
                scratch[slots] = 0.0
            else:
                scratch.fill(0.0)
        return Retrieval(slots, bm25, ideal, field_prior, coverage)


def _union(touched: list[np.ndarray]) -> np.ndarray:
    """Sorted distinct slots of a few short arrays."""
    if not touched:
        return np.empty(0, dtype=np.int32)
    ids = np.sort(np.concatenate(touched))
    return ids[np.concatenate(([True], ids[1:] != ids[:-1]))].astype(np.int32)
