"""A question made ready for retrieval: its vector and its weighted lexical terms.

English words are also given their Arabic translations from the corpus lexicon, so that an
English question can match Arabic text word for word. The model pass (``encode_question``)
runs before any read view is opened; the terms (``weigh_terms``) are read inside one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np

from index.embedding.embedder import Embedder, Matrix
from index.lexicon import TranslationConfig
from index.read_view import ReadView
from index.text.normalize import normalize
from index.text.terms import is_latin, stem, words

_LATIN_TOKEN = re.compile(r"[A-Za-z]+")


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


@dataclass(frozen=True)
class EncodedQuestion:
    """The question's vector, its distinct words, and vectors of the Latin ones to translate."""

    text: str
    vector: Matrix
    words: list[str]
    latin: list[int]
    latin_vectors: Matrix
    # Latin words written as names: matched by sound as well as by meaning
    names: frozenset[str] = frozenset()


def name_words(question: str) -> frozenset[str]:
    """Latin words of ``question`` (in matching form) written with a capital letter anywhere
    but at its start: names ("Newton", "Toyota", "WSE"), the words worth matching by sound."""
    tokens = _LATIN_TOKEN.findall(question)
    return frozenset(normalize(token) for token in tokens[1:] if token[0].isupper())


def _is_translatable(word: str) -> bool:
    return is_latin(word) and len(word) > 2


def untranslated_words(question: str, translation: TranslationConfig) -> list[str]:
    """The English words of ``question`` past ``translation.max_words``: not translated."""
    latin = [word for word in dict.fromkeys(words(question)) if _is_translatable(word)]
    return latin[translation.max_words :]


def encode_question(
    question: str, embedder: Embedder, lexical: bool, translation: TranslationConfig | None
) -> EncodedQuestion:
    if not lexical:
        vector = embedder.encode_queries([question])[0]
        return EncodedQuestion(question, vector, [], [], np.zeros((0, vector.shape[0]), np.float32))
    question_words = list(dict.fromkeys(words(question)))
    latin = [i for i, word in enumerate(question_words) if _is_translatable(word)]
    if translation is not None:
        latin = latin[: translation.max_words]  # the cost cap; untranslated_words names the rest
    if translation is not None and latin:
        vector, word_vectors = embedder.encode_query_and_words(
            question, [question_words[i] for i in latin]
        )
    else:
        vector = embedder.encode_queries([question])[0]
        word_vectors = np.zeros((0, vector.shape[0]), np.float32)
    return EncodedQuestion(
        question, vector, question_words, latin, word_vectors, name_words(question)
    )


def weigh_terms(
    encoded: EncodedQuestion, view: ReadView, translation: TranslationConfig | None
) -> AnalyzedQuery:
    if not encoded.words:
        return AnalyzedQuery(encoded.text, encoded.vector)
    alternatives = [[stem(word)] for word in encoded.words]
    if translation is not None and encoded.latin:
        for i, translated in zip(
            encoded.latin, _translations(encoded, view, translation), strict=True
        ):
            alternatives[i].extend(translated)
    frequencies, total = view.sentence_frequencies([a for group in alternatives for a in group])
    terms = []
    for group in alternatives:
        present = [a for a in dict.fromkeys(group) if frequencies.get(a, 0) > 0]
        # BM25's idf: rare words say more about where the answer is. A word found nowhere
        # keeps the weight of a very rare one, so that matching the other words of the
        # question is not mistaken for matching all of it.
        rarest = min((frequencies[a] for a in present), default=0)
        weight = math.log(1 + (total - rarest + 0.5) / (rarest + 0.5))
        terms.append(QueryTerm(tuple(present), weight))
    return AnalyzedQuery(encoded.text, encoded.vector, terms)


def _translations(
    encoded: EncodedQuestion, view: ReadView, translation: TranslationConfig
) -> list[list[str]]:
    """Arabic terms for each Latin word of ``encoded.latin``; by sound only for names, unless
    the configuration asks for every word."""
    latin_words = [encoded.words[i] for i in encoded.latin]
    if translation.transliterate_common_words or not translation.transliterate:
        return view.translate(latin_words, encoded.latin_vectors, translation)
    result: list[list[str]] = [[] for _ in latin_words]
    by_meaning = replace(translation, transliterate=False)
    for config, wanted in ((translation, True), (by_meaning, False)):
        chosen = [k for k, word in enumerate(latin_words) if (word in encoded.names) == wanted]
        if chosen:
            found = view.translate(
                [latin_words[k] for k in chosen], encoded.latin_vectors[chosen], config
            )
            for k, terms in zip(chosen, found, strict=True):
                result[k] = terms
    return result
