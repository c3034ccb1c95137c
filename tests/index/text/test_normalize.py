from hypothesis import given
from hypothesis import strategies as st

from index.text.normalize import normalize, normalize_for_matching, normalize_for_storage


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


def test_offsets_point_into_the_original() -> None:
    original = "قالَ ترامبُ: وقف إطلاق النار لمدة ٣٠ يومًا"
    normalized = normalize_for_matching(original)
    position = normalized.text.index("30")
    start, end = normalized.original_span(position, position + 2)
    assert original[start:end] == "٣٠"
    word = normalized.text.index("ترامب")
    start, end = normalized.original_span(word, word + len("ترامب"))
    assert original[start:end] == "ترامب"  # the stripped damma after it is not cut in


@given(st.text())
def test_every_normalized_character_has_an_origin(text: str) -> None:
    normalized = normalize_for_matching(text)
    assert len(normalized.origins) == len(normalized.text)
    assert list(normalized.origins) == sorted(normalized.origins)
    assert all(0 <= origin < len(text) for origin in normalized.origins)


def test_storage_keeps_text_but_unifies_line_endings() -> None:
    assert normalize_for_storage("سطر\r\nسطر") == "سطر\nسطر"
    assert normalize_for_storage("e\u0301") == "\u00e9"  # NFC
