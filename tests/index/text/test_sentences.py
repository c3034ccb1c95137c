from hypothesis import given
from hypothesis import strategies as st

from index.text.sentences import split_sentences


def _texts(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_arabic_terminators_end_sentences_but_the_comma_does_not() -> None:
    text = "قال الوزير، في بيان، إن الاتفاق قريب. هل سيوقع غدًا؟ ربما؛ لكن الأمر غير مؤكد!"
    assert _texts(text) == [
        "قال الوزير، في بيان، إن الاتفاق قريب.",
        "هل سيوقع غدًا؟",
        "ربما؛",
        "لكن الأمر غير مؤكد!",
    ]


def test_line_breaks_and_closing_quotes() -> None:
    text = "ماذا جرى قبل الاتصال؟\nقال: “أحرزنا بعض التقدم.” ثم غادر\nسطر أخير"
    assert _texts(text) == [
        "ماذا جرى قبل الاتصال؟",
        "قال: “أحرزنا بعض التقدم.”",
        "ثم غادر",
        "سطر أخير",
    ]


def test_decimals_do_not_end_a_sentence() -> None:
    assert _texts("نما الاقتصاد 2.7% هذا العام. وتراجع التضخم.") == [
        "نما الاقتصاد 2.7% هذا العام.",
        "وتراجع التضخم.",
    ]


def test_seed_sentence_is_found_whole(seed_text: str) -> None:
    sentence = "وأجاب زيلينسكي بأنه يود التباحث حول وقف إطلاق النار لمدة 30 يومًا، وطلب من ترامب بحث إمكانية عقد قمة روسية أوكرانية بحضوره."
    assert sentence in _texts(seed_text)


@given(st.text(alphabet=st.sampled_from(list('اب ت.؟،!\n”"a1 ')), max_size=200))
def test_spans_are_ordered_trimmed_and_inside_the_text(text: str) -> None:
    previous_end = 0
    for span in split_sentences(text):
        assert previous_end <= span.start < span.end <= len(text)
        assert not text[span.start].isspace() and not text[span.end - 1].isspace()
        previous_end = span.end
    covered = "".join(text[s.start : s.end] for s in split_sentences(text))
    assert covered.replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
