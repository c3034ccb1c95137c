"""A question made ready for retrieval: its vector and its weighted lexical terms.

English words are also given their Arabic translations from the corpus lexicon, so that an
English question can match Arabic text word for word.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from index.corpus import Corpus
from index.embedding.embedder import Matrix
from index.lexicon import TranslationConfig
from index.text.terms import is_latin, stem, words


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One word of the question: any of its alternatives matches; rarer words weigh more."""

    alternatives: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class AnalyzedQuery:
    text: str
    vector: Matrix
    terms: list[QueryTerm] = field(default_factory=list)

    @property
    def has_lexical_evidence(self) -> bool:
        return any(term.alternatives for term in self.terms)

    def flat_terms(self) -> list[str]:
        return [alternative for term in self.terms for alternative in term.alternatives]


def analyze(
    question: str, corpus: Corpus, lexical: bool, translation: TranslationConfig | None
) -> AnalyzedQuery:
    if not lexical:
        return AnalyzedQuery(question, corpus.embedder.encode_queries([question])[0])
    question_words = list(dict.fromkeys(words(question)))
    alternatives = [[stem(word)] for word in question_words]
    latin = [i for i, word in enumerate(question_words) if is_latin(word) and len(word) > 2]
    if translation is not None and latin:
        latin_words = [question_words[i] for i in latin]
        vector, word_vectors = corpus.embedder.encode_query_and_words(question, latin_words)
        translations = corpus.lexicon().translate(latin_words, word_vectors, translation)
        for i, translated in zip(latin, translations, strict=True):
            alternatives[i].extend(translated)
    else:
        vector = corpus.embedder.encode_queries([question])[0]
    frequencies, total = corpus.document_frequencies([a for group in alternatives for a in group])
    terms = []
    for group in alternatives:
        present = [a for a in dict.fromkeys(group) if frequencies.get(a, 0) > 0]
        # BM25's idf: rare words say more about where the answer is. A word found nowhere
        # keeps the weight of a very rare one, so that matching the other words of the
        # question is not mistaken for matching all of it.
        rarest = min((frequencies[a] for a in present), default=0)
        weight = math.log(1 + (total - rarest + 0.5) / (rarest + 0.5))
        terms.append(QueryTerm(tuple(present), weight))
    return AnalyzedQuery(question, vector, terms)
