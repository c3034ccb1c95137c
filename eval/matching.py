"""Does a returned quote hold the gold answer?"""

from __future__ import annotations

from eval.answers import ReturnedQuote
from eval.questions import EvalQuestion
from index.text.normalize import normalize

# A quote hits seed evidence when it covers at least this share of one evidence span: a
# two-sentence evidence is still found by a quote of its main sentence.
EVIDENCE_COVERAGE = 0.5


def contains_answer(quote_text: str, answer: str) -> bool:
    """``answer`` occurs in ``quote_text`` after Arabic normalisation. An answer that starts or
    ends with a Latin letter or digit must not continue a word there ("3" is not in "2013");
    Arabic answers may, since prefixes such as و ب ل ال attach to the word they answer."""
    needle = normalize(answer).strip()
    haystack = normalize(quote_text)
    if not needle:
        return False
    position = haystack.find(needle)
    while position >= 0:
        before = haystack[position - 1] if position > 0 else " "
        after_index = position + len(needle)
        after = haystack[after_index] if after_index < len(haystack) else " "
        if not (_ascii_word(needle[0]) and _ascii_word(before)) and not (
            _ascii_word(needle[-1]) and _ascii_word(after)
        ):
            return True
        position = haystack.find(needle, position + 1)
    return False


def _ascii_word(character: str) -> bool:
    return character.isascii() and character.isalnum()


def quote_hits(question: EvalQuestion, quote: ReturnedQuote) -> bool:
    if not question.answerable:
        return False
    if question.match == "evidence":
        return quote.doc_id == question.doc_id and any(
            _overlap(quote, start, end) >= EVIDENCE_COVERAGE * (end - start)
            for start, end in question.spans
        )
    if any(contains_answer(quote.text, answer) for answer in question.answers):
        return True
    return quote.doc_id == question.doc_id and any(
        quote.start <= start and end <= quote.end for start, end in question.spans
    )


def _overlap(quote: ReturnedQuote, start: int, end: int) -> int:
    return max(0, min(quote.end, end) - max(quote.start, start))
