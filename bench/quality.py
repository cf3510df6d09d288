"""Retrieval quality on CSL: Duijie's MatchingEngine vs plain BM25 vs brute-force rapidfuzz.

Each corpus paper is upserted as a Result; each query becomes a Need (its keywords as title and
keywords, no field code) and is matched through exactly the service's calls: ``engine.upsert`` then
``engine.matches_for``. Prints MRR@10 of the target, graded nDCG@10 (2 target, 1 same discipline,
0.5 same category) and field nDCG@10 (target left out); the last line is one JSON object.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from bench._common import (
    DATA,
    Bm25Baseline,
    FuzzBaseline,
    Grader,
    as_need,
    as_result,
    load_corpus,
    load_queries,
    mean,
)
from services.matching.engine import MatchingEngine

K = 10


def evaluate(corpus_path: Path, queries_path: Path, limit: int | None = None,
             methods: tuple[str, ...] = ("duijie", "bm25", "rapidfuzz"),
             quiet: bool = False) -> dict[str, dict[str, float]]:
    corpus = load_corpus(corpus_path)
    queries = load_queries(queries_path, limit)
    grader = Grader(corpus)
    ids = [paper.id for paper in corpus]
    texts = [f"{paper.title} {paper.abstract}" for paper in corpus]
    rankers = {}
    started = time.perf_counter()
    if "duijie" in methods:
        engine = MatchingEngine()
        for paper in corpus:
            engine.upsert(as_result(paper))

        def duijie(query_text: str, need=None) -> list[str]:
            engine.upsert(need)
            ranking = [match.counterpart_id for match in engine.matches_for(need.id, limit=K + 1)]
            engine.remove(need.id)
            return ranking

        rankers["duijie"] = duijie
    if "bm25" in methods:
        bm25 = Bm25Baseline(texts)
        rankers["bm25"] = lambda text, need=None: [ids[i] for i in bm25.top(text, K + 1)]
    if "rapidfuzz" in methods:
        fuzzy = FuzzBaseline(texts)
        rankers["rapidfuzz"] = lambda text, need=None: [ids[i] for i in fuzzy.top(text, K + 1)]
    elapsed = time.perf_counter() - started
    log(f"indexed {len(corpus)} papers in {elapsed:.1f}s; {len(queries)} queries", quiet)
    scores: dict[str, list[tuple[float, float, float]]] = {name: [] for name in rankers}
    for n, query in enumerate(queries, 1):
        need = as_need(query)
        for name, ranker in rankers.items():
            scores[name].append(grader.metrics(query.target, ranker(" ".join(query.keywords), need), K))
        if n % 200 == 0:
            log(f"  {n}/{len(queries)} queries, {time.perf_counter() - started:.1f}s", quiet)
    summary = {}
    for name, rows in scores.items():
        summary[name] = {
            "mrr10": round(mean([r[0] for r in rows]), 4),
            "ndcg10": round(mean([r[1] for r in rows]), 4),
            "field_ndcg10": round(mean([r[2] for r in rows]), 4),
        }
    return summary


def log(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DATA / "corpus.jsonl")
    parser.add_argument("--queries", type=Path, default=DATA / "dev_queries.jsonl")
    parser.add_argument("--limit", type=int, default=None, help="only the first N queries (quick run)")
    parser.add_argument("--methods", default="duijie,bm25,rapidfuzz", help="comma-separated subset")
    args = parser.parse_args(argv)
    summary = evaluate(args.corpus, args.queries, args.limit, tuple(args.methods.split(",")))
    for name, values in summary.items():
        print(f"{name:10s} MRR@10 {values['mrr10']:.4f}  nDCG@10 {values['ndcg10']:.4f}  "
              f"field nDCG@10 {values['field_ndcg10']:.4f}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
