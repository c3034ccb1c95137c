"""Arabic-aware normalisation for matching, and the canonical form articles are stored in.

Matching (lexical search, quote scoring) compares normalised words, but every span shown to
a user is cut from the original text by its sentence offsets: normalisation never changes
what is shown.
"""

from __future__ import annotations

import unicodedata

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


class _MatchingTable(dict[int, str]):
    """``str.translate`` table filled on first sight of each character: the per-character
    rules run once per distinct character, not once per character of every text."""

    def __missing__(self, code: int) -> str:
        value = _normalize_character(chr(code))
        self[code] = value
        return value


_MATCHING_TABLE = _MatchingTable()


def normalize(text: str) -> str:
    """The matching form of ``text``. It may be shorter than ``text`` (marks are dropped):
    spans shown to users are always cut from the original, never from this form."""
    return text.translate(_MATCHING_TABLE)


def normalize_for_storage(text: str) -> str:
    """Canonical stored form: Unicode NFC, line endings unified; nothing else changes."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
