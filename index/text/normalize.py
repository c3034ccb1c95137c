"""Arabic-aware normalisation for matching, with a map back to the original offsets.

Matching (lexical search, quote scoring) compares normalised text, but every span shown to a
user is cut from the original. ``normalize_for_matching`` therefore returns, for each character
of the normalised string, the index of the original character it came from.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Bumped whenever the mapping below changes, so that an index built with older rules is
# detected as stale (the manifest records it).
NORMALIZATION_VERSION = 1

_ARABIC_DIACRITICS = {chr(c) for c in range(0x064B, 0x0660)} | {
    "\u0670",
    "\u06d6",
    "\u06d7",
    "\u06d8",
    "\u06d9",
    "\u06da",
    "\u06db",
    "\u06dc",
    "\u06df",
    "\u06e0",
    "\u06e1",
    "\u06e2",
    "\u06e3",
    "\u06e4",
    "\u06e7",
    "\u06e8",
    "\u06ea",
    "\u06eb",
    "\u06ec",
    "\u06ed",
}
_TATWEEL = "\u0640"
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u061c", "\ufeff"}

_CHARACTER_MAP: dict[str, str] = {
    # alef and hamza carriers: writers use them interchangeably
    "\u0622": "\u0627",
    "\u0623": "\u0627",
    "\u0625": "\u0627",
    "\u0671": "\u0627",
    "\u0672": "\u0627",
    "\u0673": "\u0627",
    "\u0624": "\u0648",
    "\u0626": "\u064a",
    # ta marbuta / ha, alef maqsura / ya, Persian ya and kaf
    "\u0629": "\u0647",
    "\u0649": "\u064a",
    "\u06cc": "\u064a",
    "\u06a9": "\u0643",
    # typographic quotes and dashes match their plain forms
    "\u201c": '"',
    "\u201d": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2018": "'",
    "\u2019": "'",
    "\u2013": "-",
    "\u2014": "-",
    "\u060c": ",",
    "\u061b": ";",
    "\u061f": "?",
}
for _offset in range(10):
    _CHARACTER_MAP[chr(0x0660 + _offset)] = str(_offset)  # Arabic-Indic digits
    _CHARACTER_MAP[chr(0x06F0 + _offset)] = str(_offset)  # Extended (Persian) digits


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Normalised text and, per normalised character, its index in the original."""

    text: str
    origins: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a non-empty [start, end) of the normalised text back to the original."""
        return self.origins[start], self.origins[end - 1] + 1


def _normalize_character(character: str) -> str:
    if character in _ARABIC_DIACRITICS or character == _TATWEEL or character in _INVISIBLE:
        return ""
    mapped = _CHARACTER_MAP.get(character)
    if mapped is not None:
        return mapped
    if character.isspace():
        return " "
    if "\uff01" <= character <= "\uff5e" or "\ufb50" <= character <= "\ufefc":
        # full-width Latin and Arabic presentation forms decompose to ordinary letters
        return unicodedata.normalize("NFKC", character).casefold()
    return character.casefold()


def normalize_for_matching(text: str) -> NormalizedText:
    """Return the matching form of ``text`` with offsets into ``text``."""
    pieces: list[str] = []
    origins: list[int] = []
    for index, character in enumerate(text):
        replacement = _normalize_character(character)
        pieces.append(replacement)
        origins.extend([index] * len(replacement))
    return NormalizedText("".join(pieces), tuple(origins))


def normalize(text: str) -> str:
    """The matching form of ``text`` alone, for queries that need no offsets."""
    return "".join(_normalize_character(character) for character in text)


def normalize_for_storage(text: str) -> str:
    """Canonical stored form: Unicode NFC, line endings unified; nothing else changes."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
