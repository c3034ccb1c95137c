"""English words matched by sound are names only; translations are Arabic words only."""

from __future__ import annotations

from index.lexicon import _is_arabic_word
from index.retrieval.query import name_words


def test_names_are_capitalised_words_after_the_first() -> None:
    assert name_words("How many tackles did Luke Kuechly register?") == {"luke", "kuechly"}
    assert name_words("Who proposed a 30-day ceasefire?") == frozenset()
    assert "wse" in name_words("Whose former headquarters was the WSE located in?")


def test_only_arabic_words_translate() -> None:
    assert _is_arabic_word("يوما")
    assert not _is_arabic_word("יום")  # Hebrew, found in one ARCD paragraph
    assert not _is_arabic_word("7.5")
    assert not _is_arabic_word("amazonía")
