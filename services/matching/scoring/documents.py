"""What each posting contributes to the index (document terms) and asks of it (query terms).

Besides jieba words, two kinds of structured pseudo-terms let postings meet on structure alone
(so a posting with garbage text is still matchable by its fields): ``kw:<keyword>`` for each whole
keyword and ``ind:<code>`` for each industry code and its section/major-group prefixes. They
contain ``:``, which normalised text never does, so they cannot collide with words.
"""

import math

from services.matching.domain import Expert, Need, Posting, Result
from services.matching.text import compact, normalise, segmented, term_counts

TITLE_WEIGHT = 2.0
KEYWORD_WEIGHT = 2.0
PSEUDO_PREFIXES = ("kw:", "ind:")


def _structured(keywords: tuple[str, ...], industry_codes: tuple[str, ...]) -> dict[str, float]:
    terms: dict[str, float] = {}
    for keyword in keywords:
        if key := compact(keyword):
            terms[f"kw:{key}"] = 1.0
    for code in industry_codes:
        code = code.strip().upper()
        for prefix in {code[:1], code[:3], code} - {""}:
            terms[f"ind:{prefix}"] = 1.0
    return terms


def text_of(posting: Posting) -> str:
    """All of a posting's free text, for phrase tests and fuzzy comparison."""
    match posting:
        case Need():
            return " ".join((posting.title, posting.description, *posting.keywords))
        case Result():
            return " ".join((posting.title, posting.abstract, *posting.keywords))
        case Expert():
            return " ".join((*posting.fields, *posting.keywords))
    return posting.name


def title_of(posting: Posting) -> str:
    match posting:
        case Need() | Result():
            return " ".join((posting.title, *posting.keywords))
        case Expert():
            return " ".join((*posting.fields, *posting.keywords))
    return posting.name


def document_terms(posting: Need | Result | Expert) -> dict[str, float]:
    keywords = " ".join(posting.keywords)
    match posting:
        case Result():
            words = term_counts((posting.title, TITLE_WEIGHT), (posting.abstract, 1.0),
                                (keywords, KEYWORD_WEIGHT))
            return words | _structured(posting.keywords, posting.industry_codes)
        case Need():
            words = term_counts((posting.title, TITLE_WEIGHT), (posting.description, 1.0),
                                (keywords, KEYWORD_WEIGHT))
            return words | _structured(posting.keywords, posting.industry_codes)
    words = term_counts((" ".join(posting.fields), TITLE_WEIGHT), (keywords, KEYWORD_WEIGHT))
    return words | _structured(posting.keywords, ())


def query_terms(posting: Need | Result | Expert) -> dict[str, float]:
    """Query weights: 1 + log(tf), so repeated words count, but sub-linearly."""
    return query_weights(document_terms(posting))


def query_weights(counts: dict[str, float]) -> dict[str, float]:
    """``query_terms`` from already computed ``document_terms``."""
    return {term: 1.0 + math.log(max(1.0, tf)) for term, tf in counts.items()}


def field_of(posting: Result | Expert) -> str | None:
    if isinstance(posting, Result):
        return posting.discipline or None
    return posting.fields[0] if posting.fields else None


def fuzzy_form(posting: Posting) -> str:
    return segmented(title_of(posting))


def phrase_form(posting: Posting) -> str:
    return normalise(text_of(posting)).replace(" ", "")


def is_word(term: str) -> bool:
    return not term.startswith(PSEUDO_PREFIXES)
