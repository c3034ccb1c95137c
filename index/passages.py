"""Turn an article into the passages that get embedded: its sentences and its chunks."""

from __future__ import annotations

from dataclasses import dataclass

from index.article import Article
from index.text.chunking import ChunkingConfig, ChunkWindow, chunk_sentences
from index.text.sentences import split_sentences
from index.text.terms import is_latin, stem, terms, words


@dataclass(frozen=True, slots=True)
class ArticlePassages:
    article: Article
    sentence_spans: list[tuple[int, int]]
    chunks: list[ChunkWindow]

    def sentence_texts(self) -> list[str]:
        return [self.article.text[start:end] for start, end in self.sentence_spans]

    def chunk_texts(self, with_title: bool) -> list[str]:
        """Chunk texts as embedded; the title gives a chunk the article's topic."""
        prefix = f"{self.article.title}\n" if with_title and self.article.title else ""
        return [prefix + self.article.text[chunk.start : chunk.end] for chunk in self.chunks]

    def sentence_terms(self) -> list[str]:
        return [" ".join(terms(text)) for text in self.sentence_texts()]

    def chunk_terms(self, with_title: bool) -> list[str]:
        return [" ".join(terms(text)) for text in self.chunk_texts(with_title)]

    def arabic_term_surfaces(self) -> dict[str, str]:
        return arabic_term_surfaces(self.article.title, self.article.text)

    def chunk_spans(self) -> list[tuple[int, int, int, int]]:
        return [(c.first_sentence, c.last_sentence, c.start, c.end) for c in self.chunks]


def arabic_term_surfaces(title: str, text: str) -> dict[str, str]:
    """Each non-Latin, non-numeric term of an article with the first word form seen: what
    the lexicon embeds, and counts per article so that deletes can follow."""
    surfaces: dict[str, str] = {}
    for word in words(f"{title}\n{text}"):
        if not word.isdigit() and not is_latin(word):
            surfaces.setdefault(stem(word), word)
    return surfaces


def split_article(article: Article, chunking: ChunkingConfig) -> ArticlePassages:
    sentences = split_sentences(article.text)
    return ArticlePassages(
        article=article,
        sentence_spans=[(span.start, span.end) for span in sentences],
        chunks=chunk_sentences(article.text, sentences, chunking),
    )
