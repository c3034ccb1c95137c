import itertools

import pytest

from index.text.chunking import ChunkingConfig, chunk_sentences
from index.text.sentences import split_sentences


def test_seed_chunks_are_whole_sentences_of_bounded_size_with_overlap(seed_text: str) -> None:
    sentences = split_sentences(seed_text)
    config = ChunkingConfig(target_words=60, max_words=120, overlap_sentences=1)
    chunks = chunk_sentences(seed_text, sentences, config)
    starts = {s.start for s in sentences}
    ends = {s.end for s in sentences}
    for chunk in chunks:
        assert chunk.start in starts and chunk.end in ends
        words = len(seed_text[chunk.start : chunk.end].split())
        single = chunk.first_sentence == chunk.last_sentence
        assert words <= 120 or single
    for first, second in itertools.pairwise(chunks):
        assert second.first_sentence == first.last_sentence  # one sentence of overlap
    assert chunks[0].first_sentence == 0 and chunks[-1].last_sentence == len(sentences) - 1


def test_a_long_sentence_is_a_chunk_of_its_own() -> None:
    text = "قصير. " + "كلمة " * 300 + "نهاية. قصير آخر."
    chunks = chunk_sentences(text, split_sentences(text), ChunkingConfig(80, 120, 1))
    assert any(c.first_sentence == c.last_sentence == 1 for c in chunks)


def test_bad_config_is_refused() -> None:
    with pytest.raises(ValueError):
        ChunkingConfig(target_words=200, max_words=100)
