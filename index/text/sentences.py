"""Arabic-aware sentence splitting that returns character spans of the original text."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends after . ! ? ؟ ؛ or … (possibly repeated, e.g. ".." or "?!"), followed by
# closing quotes or brackets, when whitespace or the end of text follows. The Arabic comma
# (،) does not end a sentence. A dot between digits (3.5) is not followed by whitespace, so
# decimals survive.
_TERMINATOR = re.compile(r"[.!?؟؛…]+[\"'”’»)\]]*(?=\s|$)")
_LINE_BREAK = re.compile(r"\n+")


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range [start, end) of an article's text."""

    start: int
    end: int


def _trimmed(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def split_sentences(text: str) -> list[Span]:
    """Split ``text`` into sentences; every span indexes ``text`` itself, trimmed of spaces."""
    spans: list[Span] = []
    line_start = 0
    for line_break in [*_LINE_BREAK.finditer(text), None]:
        line_end = line_break.start() if line_break else len(text)
        sentence_start = line_start
        for terminator in _TERMINATOR.finditer(text, line_start, line_end):
            span = _trimmed(text, sentence_start, terminator.end())
            if span is not None:
                spans.append(span)
            sentence_start = terminator.end()
        span = _trimmed(text, sentence_start, line_end)
        if span is not None:
            spans.append(span)
        if line_break is not None:
            line_start = line_break.end()
    return spans
