"""Text normalisation and Chinese/English segmentation for matching.

* ``normalise`` folds full-width forms to half-width (NFKC), lower-cases, and turns punctuation,
  symbols and emoji into spaces.
* ``tokens`` segments with jieba in search mode (``jieba.lcut_for_search``), so a compound such as
  水稻育种 yields 水稻, 育种 and 水稻育种, then drops stop words and one-letter Latin noise.
* jieba is initialised once, lazily and quietly (its dictionary load takes ~0.5 s).
"""

import logging
import re
import threading
import unicodedata
from collections import Counter
from functools import lru_cache

import jieba

_JIEBA_READY = False
_JIEBA_LOCK = threading.Lock()

# General-purpose function words (Chinese and English); domain words are left to BM25's idf.
STOP_WORDS: frozenset[str] = frozenset(
    """
    的 了 和 与 及 或 而 在 对 是 为 以 于 从 由 被 把 将 就 也 都 又 并 其 之 中 上 下 等 个 这 那
    该 此 各 每 一 一种 一个 一些 我们 我 你 他 她 它 他们 本文 本 有 无 不 没有 可 可以 能 能够 会
    通过 进行 采用 利用 使用 用 给 向 到 来 去 着 过 很 更 最 较 所 如 若 则 即 但 但是 因此 所以
    由于 因为 如果 以及 并且 而且 或者 之间 其中 同时 方面 问题 提出 具有 对于 关于 基于 根据 表明 结果
    a an and are as at be by for from in into is it of on or that the this to was were with we our
    """.split()
)

_SEPARATORS = re.compile(r"\s+")
_LATIN_NOISE = re.compile(r"^[a-z]$")


def ensure_jieba() -> None:
    """Loads jieba's dictionary once (also called at start-up, so the first posting does not wait for it)."""
    global _JIEBA_READY
    if _JIEBA_READY:
        return
    with _JIEBA_LOCK:
        if not _JIEBA_READY:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _JIEBA_READY = True


def _is_separator(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "PSZC" and char not in "+#"


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Full-width → half-width, lower case, punctuation/symbols/emoji → single spaces."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    cleaned = "".join(" " if _is_separator(char) else char for char in folded)
    return _SEPARATORS.sub(" ", cleaned).strip()


def compact(text: str) -> str:
    """Normalised text without spaces, for exact-phrase containment tests (水稻 育种 == 水稻育种)."""
    return normalise(text).replace(" ", "")


def _keep(token: str) -> bool:
    return bool(token) and not token.isspace() and token not in STOP_WORDS and not _LATIN_NOISE.match(token)


def tokens(text: str) -> list[str]:
    """Search-mode segmentation of normalised text, without stop words. Never raises on garbage.

    jieba never joins characters across a space, so each space-separated block is segmented on its
    own, and a block seen before (a keyword, a title, a clause) is not segmented again."""
    normalised = normalise(text)
    if not normalised:
        return []
    return [token for block in normalised.split(" ") for token in _block_tokens(block)]


def _block_tokens(block: str) -> tuple[str, ...]:
    return _short_tokens(block) if len(block) <= 64 else _segment(block)


@lru_cache(maxsize=16384)
def _short_tokens(block: str) -> tuple[str, ...]:
    return _segment(block)


def _segment(block: str) -> tuple[str, ...]:
    ensure_jieba()
    return tuple(token.strip() for token in jieba.lcut_for_search(block) if _keep(token.strip()))


def term_counts(*weighted_texts: tuple[str, float]) -> dict[str, float]:
    """Weighted term frequencies of several text fields, e.g. ((title, 2.0), (abstract, 1.0))."""
    counts: Counter[str] = Counter()
    for text, weight in weighted_texts:
        for token in tokens(text):
            counts[token] += weight
    return dict(counts)


def segmented(text: str) -> str:
    """Space-joined tokens, the form rapidfuzz's token scorers compare."""
    return " ".join(tokens(text))
