import pytest

from bench._common import DATA as CSL
from bench.quality import evaluate


@pytest.mark.skipif(not (CSL / "corpus.jsonl").exists(), reason="CSL data folder missing")
def test_duijie_beats_brute_force_rapidfuzz_on_50_queries() -> None:
    summary = evaluate(CSL / "corpus.jsonl", CSL / "dev_queries.jsonl", limit=50,
                       methods=("duijie", "rapidfuzz"), quiet=True)
    duijie, fuzzy = summary["duijie"], summary["rapidfuzz"]
    assert duijie["mrr10"] >= fuzzy["mrr10"] - 0.02  # both near the ceiling on the target alone
    assert duijie["ndcg10"] > fuzzy["ndcg10"]
    assert duijie["field_ndcg10"] > fuzzy["field_ndcg10"]
