"""Content hashes: an article stored with the same content is recognised, so an ingest rerun
skips it; stores made before the hash column get it on open."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from index.article import Article
from index.corpus import Corpus
from index.document_store import DocumentStore
from tests.conftest import HashingEmbedder


def test_unchanged_articles_are_recognised_and_changed_ones_are_not(
    tmp_path: Path, fixture_articles: list[Article]
) -> None:
    corpus = Corpus(tmp_path / "index", HashingEmbedder())
    corpus.add(fixture_articles)
    first, second, third = fixture_articles[:3]
    candidates = [
        first,  # the same
        replace(second, text=second.text + " ."),  # new text
        replace(third, source="another"),  # new metadata
        Article.create("new-article", "نص جديد."),  # not stored
    ]
    assert corpus.unchanged(candidates) == {first.id}
    corpus.close()


def test_every_field_changes_the_hash(fixture_articles: list[Article]) -> None:
    article = replace(fixture_articles[0], url="u", published="2025-01-01", summary="s", lang="ar")
    changed = [
        replace(article, **{field: "x"})
        for field in ("id", "title", "text", "lang", "url", "published", "source", "summary")
    ]
    assert len({article.content_hash(), *(c.content_hash() for c in changed)}) == 9


def test_a_store_made_before_content_hashes_gets_the_column(
    tmp_path: Path, fixture_articles: list[Article]
) -> None:
    corpus = Corpus(tmp_path / "index", HashingEmbedder())
    corpus.add(fixture_articles[:2])
    corpus.close()
    path = tmp_path / "index" / "documents.sqlite3"
    with sqlite3.connect(path) as connection:  # as an older version left it
        connection.execute("ALTER TABLE articles DROP COLUMN content_hash")
    DocumentStore(path).close()
    corpus = Corpus(tmp_path / "index", HashingEmbedder())
    # older rows have no hash: they are written again once, then recognised
    assert corpus.unchanged(fixture_articles[:2]) == set()
    corpus.add(fixture_articles[:2])
    assert corpus.unchanged(fixture_articles[:2]) == {a.id for a in fixture_articles[:2]}
    corpus.close()
