import numpy as np

from services.matching.index import InvertedIndex, Shortlist


def _top(index: InvertedIndex, query: dict[str, float]) -> list[str]:
    found = index.search(query)
    order = np.argsort(-found.bm25)
    return [index.doc_id(int(found.slots[i])) for i in order]


def test_add_makes_a_document_findable_without_rebuild() -> None:
    index = InvertedIndex()
    index.upsert("a", {"水稻": 1.0, "育种": 1.0}, "作物学")
    assert _top(index, {"水稻": 1.0}) == ["a"]
    index.upsert("b", {"水稻": 3.0}, "作物学")
    assert _top(index, {"水稻": 1.0}) == ["b", "a"]


def test_update_replaces_the_old_terms() -> None:
    index = InvertedIndex()
    index.upsert("a", {"水稻": 1.0}, None)
    index.upsert("a", {"电池": 1.0}, None)
    assert _top(index, {"水稻": 1.0}) == []
    assert _top(index, {"电池": 1.0}) == ["a"]
    assert len(index) == 1


def test_remove_drops_a_document_and_compacts_postings() -> None:
    index = InvertedIndex()
    for n in range(20):
        index.upsert(f"d{n}", {"电池": 1.0, f"t{n}": 1.0}, "材料")
    for n in range(15):
        assert index.remove(f"d{n}")
    assert not index.remove("d0")
    assert sorted(_top(index, {"电池": 1.0})) == [f"d{n}" for n in range(15, 20)]
    assert len(index) == 5


def test_bm25_prefers_rarer_terms_and_reports_coverage() -> None:
    index = InvertedIndex()
    index.upsert("common", {"技术": 1.0}, None)
    index.upsert("rare", {"石墨烯": 1.0}, None)
    index.upsert("both", {"技术": 1.0, "石墨烯": 1.0}, None)
    index.upsert("other", {"技术": 1.0}, None)
    found = index.search({"技术": 1.0, "石墨烯": 1.0})
    coverage = dict(zip([index.doc_id(int(s)) for s in found.slots], found.coverage.tolist(), strict=True))
    assert coverage["both"] == 1.0 and coverage["rare"] > coverage["common"]
    assert _top(index, {"技术": 1.0, "石墨烯": 1.0})[0] == "both"


def test_score_one_agrees_with_search() -> None:
    index = InvertedIndex()
    index.upsert("a", {"水稻": 2.0, "育种": 1.0}, None)
    index.upsert("b", {"水稻": 1.0}, None)
    found = index.search({"水稻": 1.0, "育种": 1.0})
    for slot, bm25 in zip(found.slots.tolist(), found.bm25.tolist(), strict=True):
        assert abs(index.score_one(slot, {"水稻": 1.0, "育种": 1.0})[0] - bm25) < 1e-4


def test_field_prior_is_learned_from_the_indexed_catalogue() -> None:
    index = InvertedIndex()
    for n in range(5):
        index.upsert(f"crop{n}", {"水稻": 1.0, "产量": 1.0}, "作物学")
        index.upsert(f"bat{n}", {"电池": 1.0, "产量": 1.0}, "材料科学")
    prior = index.search({"水稻": 1.0}).field_prior
    assert index.field_names[int(np.argmax(prior))] == "作物学"
    for n in range(5):
        index.remove(f"crop{n}")
    assert index.search({"水稻": 1.0}).slots.size == 0


def test_unknown_terms_and_empty_queries_find_nothing() -> None:
    index = InvertedIndex()
    index.upsert("a", {"水稻": 1.0}, None)
    assert index.search({}).slots.size == 0
    assert index.search({"不存在": 1.0}).slots.size == 0


def _random_index(seed: int, docs: int = 3000) -> InvertedIndex:
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{n}" for n in range(60)]
    index = InvertedIndex()
    for n in range(docs):
        words = rng.choice(vocabulary, size=rng.integers(1, 12), p=np.arange(60, 0, -1) / 1830)
        terms = {str(word): float(rng.integers(1, 4)) for word in words}
        index.upsert(f"d{n}", terms, f"field{rng.integers(0, 6)}")
    return index


def test_a_shortlist_keeps_every_document_that_can_make_the_lifted_top_k() -> None:
    index = _random_index(3)
    rng = np.random.default_rng(4)
    found = shortlisted = 0
    for _ in range(20):
        query = {f"w{int(n)}": 1.0 for n in rng.choice(60, size=3, replace=False)}
        full = index.search(query)
        cap, slack, keep = 1.0 * full.ideal, 0.3 * full.ideal, 10
        short = index.search(query, Shortlist(keep, cap, slack))
        bonus = rng.random(6) * slack  # any per-field lift within the slack
        lifted = np.minimum(full.bm25, cap) + bonus[index.field_ids_of(full.slots)]
        best = set(full.slots[np.argsort(-lifted)[:keep]].tolist())
        kept = dict(zip(short.slots.tolist(), short.bm25.tolist(), strict=True))
        assert best <= set(kept)
        found, shortlisted = found + len(full.slots), shortlisted + len(kept)
        for slot, bm25 in zip(full.slots.tolist(), full.bm25.tolist(), strict=True):
            assert slot not in kept or kept[slot] == bm25
        assert short.ideal == full.ideal and np.allclose(short.field_prior, full.field_prior)
    assert shortlisted * 2 < found  # and it is short


def test_cached_term_statistics_follow_every_change_of_the_index() -> None:
    query = {"w0": 1.0, "w1": 1.0, "w7": 2.0}
    searched, untouched = _random_index(5, docs=500), _random_index(5, docs=500)
    searched.search(query)  # fills the per-term caches of one of the twins
    for index in (searched, untouched):
        index.upsert("new", {"w0": 5.0, "w7": 1.0}, "field9")
        index.remove("d3")
    got, expected = searched.search(query), untouched.search(query)
    assert np.array_equal(got.slots, expected.slots) and np.array_equal(got.bm25, expected.bm25)
    assert np.array_equal(got.field_prior, expected.field_prior)
    assert searched.slot("new") in got.slots.tolist() and searched.slot("d3") is None
