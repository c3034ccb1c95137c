"""Chunks: windows of whole sentences, sized in words, overlapping by whole sentences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from index.text.sentences import Span


@dataclass(frozen=True, slots=True)
class ChunkingConfig:
    target_words: int = 80
    max_words: int = 120
    overlap_sentences: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.target_words <= self.max_words:
            raise ValueError("chunking needs 0 < target_words <= max_words")
        if self.overlap_sentences < 0:
            raise ValueError("overlap_sentences must not be negative")


@dataclass(frozen=True, slots=True)
class ChunkWindow:
    """Sentences [first_sentence, last_sentence] of one article and their character span."""

    first_sentence: int
    last_sentence: int
    start: int
    end: int


def _word_count(text: str, span: Span) -> int:
    return len(text[span.start : span.end].split())


def chunk_sentences(
    text: str, sentences: Sequence[Span], config: ChunkingConfig | None = None
) -> list[ChunkWindow]:
    """Group consecutive sentences into chunks; a sentence is never cut in two."""
    config = config or ChunkingConfig()
    words = [_word_count(text, sentence) for sentence in sentences]
    chunks: list[ChunkWindow] = []
    first = 0
    while first < len(sentences):
        last = first
        total = words[first]
        while (
            last + 1 < len(sentences)
            and total < config.target_words
            and total + words[last + 1] <= config.max_words
        ):
            last += 1
            total += words[last]
        chunks.append(ChunkWindow(first, last, sentences[first].start, sentences[last].end))
        if last + 1 >= len(sentences):
            break
        # step back for overlap, but always move forward so that the loop ends
        first = max(first + 1, last + 1 - config.overlap_sentences)
    return chunks
