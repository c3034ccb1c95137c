"""Lexical terms: normalised, lightly stemmed words for BM25 and for term overlap.

Arabic words lose clitic prefixes and common suffixes (Larkey's light10 stemmer, applied to
the matching form, where ة, ى and hamza forms are already unified); Latin words are
lower-cased and Snowball-stemmed; numbers stay whole, in ASCII digits, so they match across
scripts ("٣٠" and "30").
"""

from __future__ import annotations

import re
from functools import lru_cache

from index.optional_imports import require
from index.text.normalize import normalize

_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+", re.UNICODE)
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")

# light10 after normalisation (ة->ه, ى->ي, أإآ->ا); longest affixes first
_ARABIC_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_ARABIC_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")

_ARABIC_STOPWORD_TEXT = """
    في من على إلى الى عن مع أن ان إن إنه انه أنه كان كانت يكون تكون هذا هذه ذلك تلك التي
    الذي الذين اللذين ما ماذا متى أين اين كيف كم لماذا هل و أو او ثم قد لقد لم لن لا ليس بعد
    قبل عند حول حتى كل بين خلال أي اي هو هي هم هن نحن أنا انا له لها لهم به بها فيه فيها منه
    منها عليه عليها وقد وكان وفي ومن كما أيضا ايضا حيث إذا اذا لكن بل غير وهو وهي
"""
ARABIC_STOPWORDS = frozenset(normalize(word) for word in _ARABIC_STOPWORD_TEXT.split())
_ENGLISH_STOPWORD_TEXT = """
    a an the of to in on at by for from with about into over after before during and or but
    not no is are was were be been being has have had do does did will would shall should
    can could may might must this that these those it its he she they them his her their him
    we us our you your i me my what which who whom whose when where why how many much there
    here than then so such as if also said say says according
"""
ENGLISH_STOPWORDS = frozenset(_ENGLISH_STOPWORD_TEXT.split())


def _strip_arabic(word: str) -> str:
    if len(word) > 3 and word.startswith("و"):
        word = word[1:]
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            word = word[len(prefix) :]
            break
    changed = True
    while changed and len(word) > 2:
        changed = False
        for suffix in _ARABIC_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                word = word[: -len(suffix)]
                changed = True
                break
    return word


@lru_cache(maxsize=1)
def _english_stemmer() -> object:
    return require("Stemmer", "PyStemmer").Stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The term of one matching-form word."""
    if word[0].isdigit():
        return word
    if _ARABIC_LETTER.match(word):
        return _strip_arabic(word)
    return str(_english_stemmer().stemWord(word))  # type: ignore[attr-defined]


def words(text: str) -> list[str]:
    """Matching-form words of ``text``, stopwords removed."""
    return [
        word
        for word in _WORD.findall(normalize(text))
        if (word not in ARABIC_STOPWORDS and word not in ENGLISH_STOPWORDS and len(word) > 1)
        or word.isdigit()
    ]


def terms(text: str) -> list[str]:
    """Lexical terms of ``text``, in order, stopwords removed."""
    return [stem(word) for word in words(text)]


def is_latin(word: str) -> bool:
    return word.isascii() and word.isalpha()
