"""Consonant skeletons that let a Latin-script name find its Arabic spelling.

Arabic news writes foreign names by sound ("Zelensky" is "زيلينسكي", "Broncos" is
"البرونكوس"). Both spellings are reduced to a skeleton of consonant classes, with vowels and
the Arabic letters that write vowels (ا و ي) dropped, so that equal skeletons mark a likely
transliteration. Short skeletons match too much, so callers require a minimum length.
"""

from __future__ import annotations

import re

_LATIN_DIGRAPHS = (
    ("sch", "s"),
    ("tch", "C"),
    ("sh", "s"),
    ("ch", "C"),
    ("th", "t"),
    ("kh", "h"),
    ("gh", "g"),
    ("ph", "f"),
    ("ck", "k"),
    ("qu", "k"),
    ("ts", "s"),
    ("tz", "s"),
    ("dj", "g"),
)
_LATIN_CLASSES = {
    "b": "b",
    "p": "b",
    "c": "k",
    "k": "k",
    "q": "k",
    "g": "g",
    "j": "g",
    "d": "d",
    "t": "t",
    "f": "f",
    "v": "f",
    "h": "h",
    "l": "l",
    "m": "m",
    "n": "n",
    "r": "r",
    "s": "s",
    "z": "z",
    "x": "ks",
    "w": "",
    "y": "",
}
_ARABIC_CLASSES = {
    "ب": "b",
    "پ": "b",
    "ت": "t",
    "ط": "t",
    "ث": "s",
    "س": "s",
    "ص": "s",
    "ش": "s",
    "ج": "g",
    "غ": "g",
    "گ": "g",
    "ك": "k",
    "ق": "k",
    "ک": "k",
    "خ": "h",
    "ح": "h",
    "ه": "h",
    "د": "d",
    "ض": "d",
    "ذ": "z",
    "ز": "z",
    "ظ": "z",
    "ر": "r",
    "ف": "f",
    "ڤ": "f",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "تش": "c",
}
_VOWELS = re.compile(r"[aeiouy]")


def latin_skeleton(word: str) -> str:
    word = word.lower()
    for digraph, replacement in _LATIN_DIGRAPHS:
        word = word.replace(digraph, replacement)
    word = _VOWELS.sub("", word)
    # "ch" and "tch" are written تش in Arabic: both sides call them "c"
    skeleton = "".join("c" if letter == "C" else _LATIN_CLASSES.get(letter, "") for letter in word)
    return _collapse(skeleton)


def arabic_skeleton(word: str) -> str:
    """Skeleton of a matching-form (normalised) Arabic word."""
    word = word.replace("تش", "C")
    letters = []
    for letter in word:
        if letter == "C":
            letters.append("c")
        else:
            letters.append(_ARABIC_CLASSES.get(letter, ""))
    return _collapse("".join(letters))


_ARABIC_PREFIXES = ("وال", "بال", "لل", "ال", "و")


def arabic_skeletons(surface: str) -> set[str]:
    """Skeletons of a word form as written and without a leading article or conjunction."""
    forms = {surface} | {surface[len(p) :] for p in _ARABIC_PREFIXES if surface.startswith(p)}
    return {arabic_skeleton(form) for form in forms}


def _collapse(skeleton: str) -> str:
    """Doubled consonants ("Allen", "شدّة" after normalisation) count once."""
    return re.sub(r"(.)\1+", r"\1", skeleton)
