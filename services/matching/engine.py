"""MatchingEngine: incremental index + scoring → ranked, explained matches. Pure and synchronous.

Needs are matched against results and experts (the *supply* index); results and experts against
open needs (the *demand* index); financing products against eligible firms. A pair's score is the
same whichever side triggers it: text relevance is always the need's query against the
counterpart's document. See ``scoring/preferences.py`` for how declines shape later matches.
"""

from datetime import date

import numpy as np
from rapidfuzz import fuzz

from services.matching.candidates import Candidate, Query, best_of, match_id, top
from services.matching.domain import (
    DECLINE_REASONS,
    OPEN,
    Expert,
    Firm,
    Need,
    Posting,
    Product,
    Result,
    ScoredMatch,
    Weights,
)
from services.matching.index import InvertedIndex, Shortlist
from services.matching.scoring import documents as docs
from services.matching.scoring.explain import clipped
from services.matching.scoring.field import as_mapping, field_fit, field_score, infer_field_distribution
from services.matching.scoring.financing_match import financing_options, product_matches
from services.matching.scoring.keywords import explain_overlap, overlap, wanted_keywords
from services.matching.scoring.pairs import combine, mean_score, structured_components, weight_of, weighted_sums
from services.matching.scoring.preferences import OrgPreferences
from services.matching.scoring.text import text_relevance, text_score

FEEDBACK_DEPTH = 10  # top candidates whose fields vote for the need's field
FIELD_PRESELECT = 0.6  # how much the inferred field lifts a candidate into the rescored pool
MIN_POOL = 30  # candidates rescored in full, at least
POOL_PER_MATCH = 3  # ... and this many per match asked for (30 vs 60: nDCG −0.0005, half the time)


class MatchingEngine:
    def __init__(self, weights: Weights = Weights(), min_score: float = 0.25,
                 today: date | None = None) -> None:
        self.weights, self.min_score, self._today = weights, min_score, today
        self._supply = InvertedIndex()  # results and experts, searched by needs
        self._demand = InvertedIndex()  # open needs, searched by results and experts
        self._postings: dict[str, Posting] = {}
        self._phrases: dict[str, str] = {}
        self._fuzzy: dict[str, str] = {}
        self._firms: dict[str, Firm] = {}
        self._products: dict[str, Product] = {}
        self._need_fields: dict[str, dict[str, float]] = {}
        self._need_terms: dict[str, dict[str, float]] = {}  # query terms of open needs (segmented once)
        self._blocked: set[frozenset[str]] = set()
        self._solved: set[str] = set()
        self._preferences: dict[str, OrgPreferences] = {}

    @property
    def today(self) -> date:
        """The date eligibility is judged on: the given one, else the current date (not the start-up date)."""
        return self._today or date.today()

    # ---- catalogue -------------------------------------------------------------------------------
    def upsert(self, posting: Posting) -> None:
        """Add or replace a posting by id; any status other than ``open`` removes it."""
        self.remove(posting.id)
        if posting.status != OPEN:
            return
        self._postings[posting.id] = posting
        if isinstance(posting, Product):
            self._products[posting.id] = posting
            return
        self._phrases[posting.id] = docs.phrase_form(posting)
        self._fuzzy[posting.id] = docs.fuzzy_form(posting)
        if isinstance(posting, Need):
            terms = docs.document_terms(posting)
            self._demand.upsert(posting.id, terms)
            self._need_terms[posting.id] = docs.query_weights(terms)
            self._solved.discard(posting.id)
        else:
            self._supply.upsert(posting.id, docs.document_terms(posting), docs.field_of(posting))

    def upsert_firm(self, firm: Firm) -> None:
        self._firms[firm.id] = firm

    def remove(self, posting_id: str) -> None:
        self._postings.pop(posting_id, None)
        self._products.pop(posting_id, None)
        self._phrases.pop(posting_id, None)
        self._fuzzy.pop(posting_id, None)
        self._need_fields.pop(posting_id, None)
        self._need_terms.pop(posting_id, None)
        self._supply.remove(posting_id)
        self._demand.remove(posting_id)

    def __len__(self) -> int:
        return len(self._postings)

    def stats(self) -> dict[str, int]:
        return {
            "needs": len(self._demand), "supply": len(self._supply), "products": len(self._products),
            "firms": len(self._firms), "blocked_pairs": len(self._blocked),
            "vocabulary": self._supply.vocabulary_size + self._demand.vocabulary_size,
        }

    def counterpart_ids_of(self, posting_id: str, limit: int = 10) -> list[str]:
        return [match.counterpart_id if match.need_id == posting_id else match.need_id
                for match in self.matches_for(posting_id, limit)]

    # ---- matching --------------------------------------------------------------------------------
    def matches_for(self, posting_id: str, limit: int = 10) -> list[ScoredMatch]:
        posting = self._postings.get(posting_id)
        match posting:
            case Need():
                return self._for_need(posting, limit)
            case Result() | Expert():
                return self._for_supply(posting, limit)
            case Product():
                return product_matches(posting, self._firms, self._open_needs_by_org(), self.weights,
                                       self.today, self._blocked, limit)
        return []

    def _for_need(self, need: Need, limit: int) -> list[ScoredMatch]:
        if need.id in self._solved:
            return []
        preferences = self._preferences.get(need.org_id, OrgPreferences())
        plain = self._query_terms(need)
        terms = preferences.weigh(plain)
        ideal = self._supply.ideal(plain)
        pool = max(MIN_POOL, POOL_PER_MATCH * limit)
        found = self._supply.search(terms, Shortlist(pool, 1.5 * ideal, FIELD_PRESELECT * ideal))
        if not len(found.slots) or ideal <= 0:
            return []
        ratio = found.bm25 / ideal
        field_ids = self._supply.field_ids_of(found.slots)
        distribution = self._infer_fields(need, ratio, field_ids, found.field_prior)
        lift = np.zeros(len(field_ids))
        if len(distribution) and distribution.max() > 0:
            labelled = field_ids >= 0
            lift[labelled] = distribution[field_ids[labelled]] / distribution.max()
        preselect = np.minimum(ratio, 1.5) + FIELD_PRESELECT * lift
        chosen = best_of(preselect, ratio, pool)
        query = self._query(need, terms, self._need_fields[need.id])
        candidates = []
        for slot, bm25_ratio in zip(found.slots[chosen].tolist(), ratio[chosen].tolist(), strict=True):
            counterpart = self._postings.get(self._supply.doc_id(slot) or "")
            if isinstance(counterpart, Result | Expert) and self._proposable(need, counterpart, preferences):
                candidates.append(self._candidate(query, counterpart, slot, bm25_ratio, preferences))
        if candidates:  # second feedback round, on the fuller evidence (text + keywords + structure)
            partial = np.array([mean_score(c.weight, c.weighted) for c in candidates])
            pool_fields = self._supply.field_ids_of(np.array([c.slot for c in candidates], dtype=np.int32))
            self._infer_fields(need, partial, pool_fields, found.field_prior)
            query = Query(need, terms, query.fuzzy, self._need_fields[need.id], query.keywords, query.words,
                          query.word_ids)
        return self._best(query, candidates, limit)

    def _for_supply(self, counterpart: Result | Expert, limit: int) -> list[ScoredMatch]:
        own = self._preferences.get(counterpart.org_id, OrgPreferences())
        terms = own.weigh(docs.query_terms(counterpart))
        found = self._demand.search(terms)
        if not len(found.slots):
            return []
        pool = min(len(found.slots), max(MIN_POOL, POOL_PER_MATCH * limit))
        chosen = np.argpartition(-found.bm25, pool - 1)[:pool]
        slot = self._supply.slot(counterpart.id)
        best: list[ScoredMatch] = []
        for i in chosen.tolist():
            need = self._postings.get(self._demand.doc_id(int(found.slots[i])) or "")
            preferences = self._preferences.get(need.org_id) if isinstance(need, Need) else None
            if not isinstance(need, Need) or slot is None or need.id in self._solved:
                continue
            if not self._proposable(need, counterpart, preferences or OrgPreferences()):
                continue
            plain = self._query_terms(need)
            need_terms = (preferences or OrgPreferences()).weigh(plain)
            bm25, ideal = self._supply.score_one(slot, need_terms)
            ideal = self._supply.ideal(plain) if need_terms is not plain else ideal
            fields = self._need_fields.get(need.id)
            if fields is None:
                found_for_need = self._supply.search(need_terms)
                ratio = found_for_need.bm25 / max(found_for_need.ideal, 1e-9)
                field_ids = self._supply.field_ids_of(found_for_need.slots)
                self._infer_fields(need, ratio, field_ids, found_for_need.field_prior)
                fields = self._need_fields[need.id]
            query = self._query(need, need_terms, fields)
            candidate = self._candidate(query, counterpart, slot, bm25 / ideal if ideal else 0.0, preferences)
            best += self._best(query, [candidate], 1)
        return top(best, limit)

    def _infer_fields(self, need: Need, ratio: np.ndarray, field_ids: np.ndarray,
                      term_prior: np.ndarray) -> np.ndarray:
        """The need's field distribution (feedback from its best candidates + term model); cached."""
        if not len(ratio):
            self._need_fields[need.id] = {}
            return term_prior
        depth = min(FEEDBACK_DEPTH, len(ratio))
        top = np.argpartition(-ratio, depth - 1)[:depth]
        distribution = infer_field_distribution(field_ids[top], ratio[top], term_prior)
        self._need_fields[need.id] = as_mapping(distribution, self._supply.field_names)
        return distribution

    def _proposable(self, need: Need, counterpart: Result | Expert, preferences: OrgPreferences) -> bool:
        if frozenset((need.id, counterpart.id)) in self._blocked or need.org_id == counterpart.org_id:
            return False
        if isinstance(counterpart, Result):
            return preferences.allows(counterpart.trl, counterpart.price_min)
        return True

    def _query_terms(self, need: Need) -> dict[str, float]:
        terms = self._need_terms.get(need.id)
        return terms if terms is not None else docs.query_terms(need)

    def _query(self, need: Need, terms: dict[str, float], fields: dict[str, float]) -> Query:
        fuzzy = self._fuzzy.get(need.id) or docs.fuzzy_form(need)
        words = tuple(term for term in terms if docs.is_word(term))
        return Query(need, terms, fuzzy, fields, wanted_keywords(need.keywords), words, self._supply.term_ids(words))

    def _candidate(self, query: Query, counterpart: Result | Expert, slot: int, bm25_ratio: float,
                   preferences: OrgPreferences | None) -> Candidate:
        """Every component of the pair except the field fit (which needs the whole pool), as numbers."""
        need = query.need
        own = self._preferences.get(counterpart.org_id)
        if own is not None and own.term_weights:
            shared = self._shared_words(query, slot)
            if shared:
                bm25_ratio *= sum(own.term_weights.get(t, 1.0) for t in shared) / len(shared)
        fuzzy = fuzz.token_set_ratio(query.fuzzy, self._fuzzy.get(counterpart.id, "")) / 100.0
        parts = [("text", clipped(text_score(bm25_ratio, fuzzy)))]
        keywords = overlap(query.keywords, counterpart.keywords, self._phrases.get(counterpart.id, ""))
        if keywords is not None:
            parts.append(("keywords", clipped(keywords.score)))
        structured = structured_components(need, counterpart, preferences.budget_tolerance if preferences else 1.0,
                                           preferences.trl_floor if preferences else None)
        parts += [(item.name, item.score) for item in structured if item is not None]
        return Candidate(counterpart, slot, bm25_ratio, fuzzy, keywords, structured,
                         *weighted_sums(parts, self.weights))

    def _best(self, query: Query, candidates: list[Candidate], limit: int) -> list[ScoredMatch]:
        """The ``limit`` best candidates scoring at least ``min_score``, field fit included, explained."""
        kept = []
        field_weight = weight_of("field", self.weights)
        for candidate in candidates:
            field = field_score(query.fields, docs.field_of(candidate.counterpart))
            if field is None:
                candidate.score = mean_score(candidate.weight, candidate.weighted)
            else:  # the field fit comes last, as in ``combine``
                candidate.score = mean_score(candidate.weight + field_weight,
                                             candidate.weighted + clipped(field) * field_weight)
            if candidate.score >= self.min_score:
                kept.append(candidate)
        kept.sort(key=lambda candidate: (-candidate.score, candidate.counterpart.id))
        return [self._explained(query, candidate) for candidate in kept[:limit]]

    def _explained(self, query: Query, candidate: Candidate) -> ScoredMatch:
        need, counterpart = query.need, candidate.counterpart
        score, weighted = combine([
            text_relevance(candidate.ratio, candidate.fuzzy, self._shared_words(query, candidate.slot)),
            explain_overlap(candidate.keywords),
            *candidate.structured,
            field_fit(query.fields, docs.field_of(counterpart)),
        ], self.weights)
        financing = ()
        if isinstance(counterpart, Result):
            financing = financing_options(need, counterpart, self._firms.get(need.org_id),
                                          self._products.values(), self.weights, self.today)
        kind = "result" if isinstance(counterpart, Result) else "expert"
        return ScoredMatch(
            match_id=match_id(need.id, need.version, counterpart.id, counterpart.version),
            need_id=need.id, counterpart_id=counterpart.id, counterpart_kind=kind,
            need_org_id=need.org_id, counterpart_org_id=counterpart.org_id,
            score=score, components=weighted, financing=financing,
        )

    def _shared_words(self, query: Query, slot: int) -> list[str]:
        """The query's words the counterpart at ``slot`` contains, in query order."""
        found = self._supply.contains(slot, query.word_ids).tolist()
        return [word for word, hit in zip(query.words, found, strict=True) if hit]

    def _open_needs_by_org(self) -> dict[str, list[Need]]:
        """The open needs a financing product may name as what a firm would finance: not a confidential one (the
        product is matched with the firm, not with that need's content, and the need's owner would be told apart
        by its profile's facts the match explains)."""
        grouped: dict[str, list[Need]] = {}
        for posting in self._postings.values():
            if isinstance(posting, Need) and posting.id not in self._solved and not posting.confidential:
                grouped.setdefault(posting.org_id, []).append(posting)
        return grouped

    # ---- feedback --------------------------------------------------------------------------------
    def record_decline(self, need_id: str, counterpart_id: str, declining_org_id: str, reason: str) -> None:
        """Block the pair for good (both directions) and let ``reason`` shape the declining
        organisation's later matches — the rules are in ``scoring/preferences.py``."""
        self._blocked.add(frozenset((need_id, counterpart_id)))
        reason = reason if reason in DECLINE_REASONS else "other"
        preferences = self._preferences.setdefault(declining_org_id, OrgPreferences())
        need, counterpart = self._postings.get(need_id), self._postings.get(counterpart_id)
        if reason == "not_relevant" and isinstance(need, Need) and isinstance(counterpart, Result | Expert):
            slot = self._supply.slot(counterpart.id)
            if slot is not None:
                terms = self._supply.shared_terms(slot, self._query_terms(need))
                preferences.penalise_terms([t for t in terms if docs.is_word(t)])
        elif reason == "too_early_stage":
            trl = counterpart.trl if isinstance(counterpart, Result) else None
            own_min = need.trl_min if isinstance(need, Need) and need.trl_min else 1
            floor = trl + 1 if trl is not None else own_min + 1
            preferences.raise_trl_floor(floor)
        elif reason == "too_expensive" and isinstance(counterpart, Result):
            asking = counterpart.price_min if counterpart.price_min is not None else counterpart.price_max
            if asking is not None:
                preferences.cap_price(asking)
        elif reason == "already_solved":
            self._solved.add(need_id)

