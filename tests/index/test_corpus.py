import threading
from pathlib import Path

import pytest

from index.article import Article
from index.corpus import Corpus
from index.manifest import ModelMismatchError
from tests.conftest import HashingEmbedder


def _doc_ids_for(corpus: Corpus, text: str, k: int = 10) -> list[str]:
    query = corpus.embedder.encode_queries([text])[0]
    with corpus.read() as view:
        return [hit.chunk.doc_id for hit in view.search_chunks(query, k)]


def test_articles_are_stored_with_their_spans(small_corpus: Corpus) -> None:
    counts = small_corpus.counts()
    assert (
        counts.articles == 5 and counts.chunks >= 5 and counts.sentences == 17
    )  # two articles use ؟ and ؛ mid-line
    article = small_corpus.get("ar-economy")
    assert article is not None and article.source == "wire" and article.published == "2025-09-02"
    query = small_corpus.embedder.encode_queries(["سعر الفائدة"])[0]
    with small_corpus.read() as view:
        sentences = view.chunk_sentences(view.search_chunks(query, 1)[0].chunk)
    for sentence in sentences:
        assert (
            article.text[sentence.start : sentence.end].strip()
            == article.text[sentence.start : sentence.end]
        )


def test_adding_an_id_again_replaces_the_article(small_corpus: Corpus) -> None:
    before = small_corpus.counts()
    small_corpus.add(
        [Article.create(id="ar-weather", title="تحديث", text="انخفضت درجات الحرارة في الإسكندرية.")]
    )
    after = small_corpus.counts()
    assert after.articles == before.articles
    assert small_corpus.get("ar-weather").text == "انخفضت درجات الحرارة في الإسكندرية."  # type: ignore[union-attr]
    ids = _doc_ids_for(small_corpus, "درجات الحرارة", k=50)
    assert ids.count("ar-weather") == 1  # the old chunks are gone from FAISS too


def test_duplicate_ids_in_one_batch_keep_the_last(
    tmp_path: Path, hashing_embedder: HashingEmbedder
) -> None:
    corpus = Corpus(tmp_path / "index", hashing_embedder)
    corpus.add([Article.create(id="a", text="أول."), Article.create(id="a", text="ثان.")])
    assert corpus.counts().articles == 1 and corpus.get("a").text == "ثان."  # type: ignore[union-attr]


def test_delete_removes_from_results_and_stores(small_corpus: Corpus) -> None:
    assert "en-space" in _doc_ids_for(small_corpus, "Jupiter probe orbit")
    assert small_corpus.delete(["en-space", "no-such-id"]) == ["en-space"]
    assert "en-space" not in _doc_ids_for(small_corpus, "Jupiter probe orbit", k=100)
    assert small_corpus.get("en-space") is None
    assert small_corpus.counts().articles == 4


def test_reopening_uses_saved_vectors_and_rebuilds_missing_ones(
    tmp_path: Path, hashing_embedder: HashingEmbedder, fixture_articles: list[Article]
) -> None:
    directory = tmp_path / "index"
    corpus = Corpus(directory, hashing_embedder)
    corpus.add(fixture_articles)
    expected = _doc_ids_for(corpus, "مقبرة في الأقصر")
    corpus.close()
    # a crash before the first snapshot leaves none: everything is rebuilt from the store
    for path in directory.glob("live.g*.npz"):
        path.unlink()
    reopened = Corpus(directory, hashing_embedder)
    assert _doc_ids_for(reopened, "مقبرة في الأقصر") == expected
    reopened.close()


def test_a_second_process_writing_the_store_is_followed(
    tmp_path: Path, hashing_embedder: HashingEmbedder, fixture_articles: list[Article]
) -> None:
    reader = Corpus(tmp_path / "index", hashing_embedder)
    writer = Corpus(tmp_path / "index", hashing_embedder)
    writer.add(fixture_articles[:1])
    assert _doc_ids_for(reader, fixture_articles[0].text[:40])[0] == fixture_articles[0].id
    reader.close()
    writer.close()


def test_opening_with_another_model_is_a_clear_error(
    tmp_path: Path, fixture_articles: list[Article]
) -> None:
    corpus = Corpus(tmp_path / "index", HashingEmbedder(64, "model-a"))
    corpus.add(fixture_articles)
    corpus.close()
    with pytest.raises(ModelMismatchError, match="model-a"):
        Corpus(tmp_path / "index", HashingEmbedder(64, "model-b"))
    with pytest.raises(ModelMismatchError, match="different vectors"):
        Corpus(tmp_path / "index", _ShiftedEmbedder(64, "model-a"))


class _ShiftedEmbedder(HashingEmbedder):
    """Same name and size, different weights."""

    def fingerprint_vector(self) -> list[float]:
        return list(reversed(super().fingerprint_vector()))


def test_repeated_small_writes_reuse_one_commit_thread_and_its_connection(
    small_corpus: Corpus,
) -> None:
    """A write used to start a commit thread of its own, which opened (and kept) another
    SQLite read connection: a long-running service leaked one per write."""

    def commit_threads() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("iqtibas-commit")}

    small_corpus.add([Article.create(id="warm", text="جملة أولى.")])
    connections, threads = len(small_corpus._store._readers), commit_threads()
    for number in range(5):
        small_corpus.add([Article.create(id=f"small-{number}", text=f"جملة رقم {number}.")])
    assert len(small_corpus._store._readers) == connections
    assert commit_threads() == threads
