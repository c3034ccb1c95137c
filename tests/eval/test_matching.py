from eval.answers import ReturnedQuote
from eval.matching import contains_answer, quote_hits
from eval.questions import EvalQuestion


def _question(
    match: str, spans: tuple[tuple[int, int], ...], answers: tuple[str, ...]
) -> EvalQuestion:
    return EvalQuestion("q", "?", "en", True, "doc", answers, spans, match)  # type: ignore[arg-type]


def test_answer_text_matches_after_arabic_normalisation() -> None:
    assert contains_answer("وقال إنّ الرئيسَ سيزور القاهرة", "ان الرئيس")
    assert contains_answer("زار الولايات المتحدة", "الولايات المتحده")  # ta marbuta
    assert contains_answer("بالولايات المتحدة", "الولايات المتحدة")  # Arabic prefix attached
    assert contains_answer("في عام ٢٠١٣ وقع", "2013")  # Arabic-Indic digits
    assert not contains_answer("في عام 2013", "3")  # a digit inside a number is no answer
    assert not contains_answer("the Panthers", "pan")
    assert contains_answer("scored 24 points", "24")
    assert not contains_answer("anything", "  ")


def test_squad_hit_by_text_or_by_span_of_the_right_article() -> None:
    question = _question("answer", ((10, 14),), ("Denver",))
    by_text = ReturnedQuote("the Denver Broncos", "other", 0, 18, 0.9)
    by_span = ReturnedQuote("translated words", "doc", 5, 20, 0.9)
    wrong_doc = ReturnedQuote("translated words", "other", 5, 20, 0.9)
    partial = ReturnedQuote("translated words", "doc", 12, 30, 0.9)
    assert quote_hits(question, by_text)
    assert quote_hits(question, by_span)
    assert not quote_hits(question, wrong_doc)
    assert not quote_hits(question, partial)  # the answer span must lie inside the quote


def test_evidence_hit_needs_half_of_an_evidence_span() -> None:
    question = _question("evidence", ((100, 200),), ("x",))
    assert quote_hits(question, ReturnedQuote("", "doc", 90, 210, 0.9))
    assert quote_hits(question, ReturnedQuote("", "doc", 100, 150, 0.9))
    assert not quote_hits(question, ReturnedQuote("", "doc", 160, 300, 0.9))
    assert not quote_hits(question, ReturnedQuote("", "other", 100, 200, 0.9))


def test_unanswerable_questions_never_hit() -> None:
    question = EvalQuestion("q", "?", "en", False, "doc", ("x",), ((0, 1),), "answer")
    assert not quote_hits(question, ReturnedQuote("x", "doc", 0, 1, 0.9))
