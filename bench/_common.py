"""Shared bench helpers: the CSL data as Duijie postings, baselines, and ranking metrics."""

import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
from rapidfuzz import fuzz, process

from services.matching.domain import Need, Result
from services.matching.text import segmented, tokens

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "csl"


@dataclass(frozen=True, slots=True)
class Paper:
    id: str
    title: str
    abstract: str
    discipline: str
    category: str


@dataclass(frozen=True, slots=True)
class Query:
    id: str
    keywords: tuple[str, ...]
    target: str


def read_jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def load_corpus(path: Path) -> list[Paper]:
    return [Paper(str(r["id"]), str(r["title"]), str(r["abstract"]), str(r["discipline"]), str(r["category"]))
            for r in read_jsonl(path)]


def load_queries(path: Path, limit: int | None = None) -> list[Query]:
    rows = [Query(str(r["query_id"]), tuple(str(k) for k in r["keywords"]), str(r["target"]))  # type: ignore[union-attr]
            for r in read_jsonl(path)]
    return rows[:limit] if limit else rows


def as_result(paper: Paper, org_id: str | None = None) -> Result:
    """A paper as a research result: title + abstract, its discipline as the field code."""
    return Result(id=paper.id, org_id=org_id or f"univ-{paper.id}", title=paper.title,
                  abstract=paper.abstract, discipline=paper.discipline)


def as_need(query: Query) -> Need:
    """A query as a firm's need: its keywords are both title and keywords; no field code."""
    return Need(id=query.id, org_id=f"firm-{query.id}", title=" ".join(query.keywords),
                keywords=query.keywords)


class Bm25Baseline:
    """Plain BM25 (bm25s) over the same jieba tokens."""

    def __init__(self, texts: list[str]) -> None:
        self.retriever = bm25s.BM25()
        self.retriever.index([tokens(text) or ["∅"] for text in texts], show_progress=False)

    def top(self, text: str, k: int) -> list[int]:
        query = tokens(text) or ["∅"]
        found, scores = self.retriever.retrieve([query], k=k, show_progress=False)
        return [int(i) for i, s in zip(found[0], scores[0], strict=True) if s > 0]


class FuzzBaseline:
    """Brute force: rapidfuzz token_set_ratio of the query against every segmented document."""

    def __init__(self, texts: list[str]) -> None:
        self.choices = [segmented(text) for text in texts]

    def top(self, text: str, k: int) -> list[int]:
        hits = process.extract(segmented(text), self.choices, scorer=fuzz.token_set_ratio, limit=k)
        return [index for _, _, index in hits]


class Grader:
    """Graded relevance: 2 target, 1 same discipline, 0.5 same category (else 0)."""

    def __init__(self, corpus: list[Paper]) -> None:
        self.papers = {paper.id: paper for paper in corpus}
        self.disciplines = Counter(paper.discipline for paper in corpus)
        self.categories = Counter(paper.category for paper in corpus)
        self.discipline_in_category = Counter((paper.category, paper.discipline) for paper in corpus)

    def _gain(self, target: Paper, doc_id: str, with_target: bool) -> float:
        paper = self.papers.get(doc_id)
        if paper is None:
            return 0.0
        if paper.id == target.id:
            return 2.0 if with_target else 0.0
        if paper.discipline == target.discipline:
            return 1.0
        return 0.5 if paper.category == target.category else 0.0

    def _ideal(self, target: Paper, with_target: bool, k: int) -> float:
        same_discipline = self.disciplines[target.discipline] - 1
        same_category = self.categories[target.category] - self.disciplines[target.discipline]
        gains = ([2.0] if with_target else []) + [1.0] * same_discipline + [0.5] * same_category
        return _dcg(gains[:k])

    def metrics(self, target_id: str, ranking: list[str], k: int = 10) -> tuple[float, float, float]:
        """(reciprocal rank@k of the target, graded nDCG@k, field nDCG@k without the target)."""
        target = self.papers[target_id]
        top = ranking[:k]
        rr = 1.0 / (top.index(target_id) + 1) if target_id in top else 0.0
        graded = _dcg([self._gain(target, d, True) for d in top]) / self._ideal(target, True, k)
        rest = [d for d in ranking if d != target_id][:k]
        ideal = self._ideal(target, False, k)
        field = _dcg([self._gain(target, d, False) for d in rest]) / ideal if ideal else 0.0
        return rr, graded, field


def _dcg(gains: list[float]) -> float:
    return float(sum(g / math.log2(i + 2) for i, g in enumerate(gains)))


def mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0
