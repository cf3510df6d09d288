"""Matching speed at catalogue scale: Duijie's incremental index vs bm25s vs brute-force rapidfuzz.

A reproducible (seeded) catalogue of N results is synthesised from the CSL text: each result takes a
title from corpus.jsonl or titles_8000.tsv and an abstract recombined from sentences of papers of
the same discipline. Then single new needs (keywords drawn from other titles) are matched one at a
time. Last line: one JSON object.
"""

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

from bench._common import DATA, Bm25Baseline, FuzzBaseline, load_corpus
from services.matching.domain import Need, Result
from services.matching.engine import MatchingEngine
from services.matching.text import tokens

SENTENCE = re.compile(r"[^。；;!?！？.]+[。；;!?！？.]?")


def synthesise(count: int, seed: int) -> list[Result]:
    rng = random.Random(seed)
    corpus = load_corpus(DATA / "corpus.jsonl")
    lines = (DATA / "titles_8000.tsv").read_text(encoding="utf-8").splitlines()[1:]
    extra = [line.split("\t")[0] for line in lines]
    titles = [paper.title for paper in corpus] + extra
    by_discipline: dict[str, list[str]] = {}
    for paper in corpus:
        sentences = [s for s in SENTENCE.findall(paper.abstract) if s]
        by_discipline.setdefault(paper.discipline, []).extend(sentences)
    disciplines = sorted(by_discipline)
    results = []
    for n in range(count):
        discipline = rng.choice(disciplines)
        sentences = by_discipline[discipline]
        abstract = "".join(rng.choice(sentences) for _ in range(rng.randint(3, 6)))
        results.append(Result(id=f"r{n}", org_id=f"univ-{n % 997}", title=rng.choice(titles),
                              abstract=abstract, discipline=discipline))
    return results


def make_needs(count: int, seed: int) -> list[Need]:
    rng = random.Random(seed + 1)
    corpus = load_corpus(DATA / "corpus.jsonl")
    needs = []
    for n in range(count):
        words = [w for w in tokens(rng.choice(corpus).title) if len(w) > 1]
        keywords = tuple(rng.sample(words, min(len(words), rng.randint(2, 5)))) or ("技术",)
        needs.append(Need(id=f"n{n}", org_id=f"firm-{n}", title=" ".join(keywords), keywords=keywords))
    return needs


def rss_mb() -> float:
    """Resident set size of this process (Linux /proc), in MiB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


def percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3) if values else 0.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=int, default=10_000, help="results in the synthetic catalogue")
    parser.add_argument("--queries", type=int, default=300, help="single new needs to match")
    parser.add_argument("--fuzz-queries", type=int, default=20, help="brute-force rapidfuzz sample")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    results = synthesise(args.catalog, args.seed)
    needs = make_needs(args.queries, args.seed)
    log(f"synthesised {len(results)} results, {len(needs)} needs")

    rss_before = rss_mb()
    started = time.perf_counter()
    engine = MatchingEngine()
    for n, result in enumerate(results, 1):
        engine.upsert(result)
        if n % 20_000 == 0:
            log(f"  indexed {n} in {time.perf_counter() - started:.1f}s")
    build_s = time.perf_counter() - started
    index_mb = rss_mb() - rss_before
    log(f"duijie index: {build_s:.1f}s, {index_mb:.0f} MiB (RSS delta)")

    upserts = []
    for n in range(200):
        fresh = results[n]
        fresh = Result(id=f"u{n}", org_id=fresh.org_id, title=fresh.title, abstract=fresh.abstract,
                       discipline=fresh.discipline)
        t0 = time.perf_counter()
        engine.upsert(fresh)
        upserts.append((time.perf_counter() - t0) * 1000)
        engine.remove(fresh.id)

    duijie, need_upserts, matched = [], [], 0
    for need in needs:
        t0 = time.perf_counter()
        engine.upsert(need)
        t1 = time.perf_counter()
        matched += len(engine.matches_for(need.id, limit=10))
        duijie.append((time.perf_counter() - t1) * 1000)
        need_upserts.append((t1 - t0) * 1000)
        engine.remove(need.id)
    log(f"duijie matches_for: p50 {percentile(duijie, 50)} ms, p99 {percentile(duijie, 99)} ms, "
        f"need upsert p99 {percentile(need_upserts, 99)} ms, "
        f"{matched / len(needs):.1f} matches/need; upsert p50 {percentile(upserts, 50)} ms "
        f"p99 {percentile(upserts, 99)} ms")

    texts = [f"{r.title} {r.abstract}" for r in results]
    t0 = time.perf_counter()
    bm25 = Bm25Baseline(texts)
    log(f"bm25s index: {time.perf_counter() - t0:.1f}s")
    bm25_ms = []
    for need in needs:
        t0 = time.perf_counter()
        bm25.top(need.title, 10)
        bm25_ms.append((time.perf_counter() - t0) * 1000)
    log(f"bm25s: p50 {percentile(bm25_ms, 50)} ms, p99 {percentile(bm25_ms, 99)} ms")

    fuzzy = FuzzBaseline(texts)
    fuzz_ms = []
    for need in needs[: args.fuzz_queries]:
        t0 = time.perf_counter()
        fuzzy.top(need.title, 10)
        fuzz_ms.append((time.perf_counter() - t0) * 1000)
    log(f"rapidfuzz brute force: p50 {percentile(fuzz_ms, 50)} ms, p99 {percentile(fuzz_ms, 99)} ms")
    print(json.dumps({
        "catalog": args.catalog,
        "duijie_p50_ms": percentile(duijie, 50), "duijie_p99_ms": percentile(duijie, 99),
        "bm25_p50_ms": percentile(bm25_ms, 50), "bm25_p99_ms": percentile(bm25_ms, 99),
        "rapidfuzz_p99_ms": percentile(fuzz_ms, 99), "index_mb": round(index_mb, 1),
        "index_build_s": round(build_s, 1), "upsert_p50_ms": percentile(upserts, 50),
        "upsert_p99_ms": percentile(upserts, 99),
    }))


if __name__ == "__main__":
    main()
