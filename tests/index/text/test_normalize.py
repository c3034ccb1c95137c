from hypothesis import given
from hypothesis import strategies as st

from index.text.normalize import _normalize_character, normalize, normalize_for_storage


def test_arabic_forms_are_unified() -> None:
    assert normalize("أَحْمَدُ") == normalize("احمد")
    assert normalize("مدرسة") == normalize("مدرسه")
    assert normalize("مستشفى") == normalize("مستشفي")
    assert normalize("إسطنبول") == normalize("اسطنبول") == normalize("آسطنبول")
    assert normalize("الســـلام") == normalize("السلام")  # tatweel


def test_digits_and_latin_case_match_across_scripts() -> None:
    assert normalize("٣٠ يومًا") == normalize("30 يوما")
    assert normalize("۲۰۲۲") == "2022"
    assert normalize("Trump") == normalize("TRUMP")


@given(st.text())
def test_the_table_applies_the_character_rules(text: str) -> None:
    assert normalize(text) == "".join(_normalize_character(character) for character in text)
    assert normalize(text) == normalize(text)  # the second time from the filled table


def test_storage_keeps_text_but_unifies_line_endings() -> None:
    assert normalize_for_storage("سطر\r\nسطر") == "سطر\nسطر"
    assert normalize_for_storage("e\u0301") == "\u00e9"  # NFC
