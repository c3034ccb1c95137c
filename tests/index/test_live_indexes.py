"""The in-memory indexes follow the store: snapshots, replay of later changes, other
processes' writes, and the lexicon and term statistics after deletes."""

from __future__ import annotations

from pathlib import Path

from index.corpus import Corpus, CorpusConfig
from index.vector_index import VectorIndexConfig
from tests.conftest import HashingEmbedder
from tests.index.synthetic import synthetic_articles

SYNC = VectorIndexConfig(snapshot_every_changes=50, background_training=False)


def _ids(corpus: Corpus, text: str, k: int = 5) -> list[str]:
    query = corpus.embedder.encode_queries([text])[0]
    with corpus.read() as view:
        return [hit.chunk.doc_id for hit in view.search_chunks(query, k)]


def _snapshots(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.glob("live.g*.npz"))


def test_opening_replays_changes_after_the_last_snapshot(tmp_path: Path) -> None:
    directory = tmp_path / "index"
    corpus = Corpus(directory, HashingEmbedder(), CorpusConfig(vectors=SYNC))
    corpus.add(synthetic_articles(40))
    saved = _snapshots(directory)
    assert saved  # 40 articles are more than 50 chunk changes
    # writes after the snapshot, then a crash: no snapshot of them is ever written
    corpus.add(synthetic_articles(3, start=40))
    corpus.delete(["synthetic-0"])
    assert _snapshots(directory) == saved
    expected = _ids(corpus, synthetic_articles(1, start=41)[0].text[:100])
    # the process dies here (no close)

    reopened = Corpus(directory, HashingEmbedder(), CorpusConfig(vectors=SYNC))
    assert reopened.vector_count() == reopened.counts().chunks
    assert _ids(reopened, synthetic_articles(1, start=41)[0].text[:100]) == expected
    assert "synthetic-0" not in _ids(reopened, synthetic_articles(1)[0].text[:100], k=200)
    reopened.close()


def test_another_process_is_followed_incrementally_and_after_log_pruning(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "index"
    reader = Corpus(directory, HashingEmbedder(), CorpusConfig(vectors=SYNC))
    writer = Corpus(directory, HashingEmbedder(), CorpusConfig(vectors=SYNC))
    writer.add(synthetic_articles(5))
    assert _ids(reader, synthetic_articles(1, start=3)[0].text[:100])[0] == "synthetic-3"
    # the writer snapshots and forgets removals the reader has not applied yet
    writer.delete(["synthetic-3"])
    writer.add(synthetic_articles(40, start=5))
    writer.persist()
    assert "synthetic-3" not in _ids(reader, synthetic_articles(1, start=3)[0].text[:100], 100)
    assert reader.vector_count() == writer.counts().chunks
    writer.close()
    reader.close()


def test_term_statistics_and_lexicon_follow_deletes(tmp_path: Path) -> None:
    corpus = Corpus(tmp_path / "index", HashingEmbedder())
    corpus.add(synthetic_articles(3))
    unique = "زنجبيليات"
    corpus.add(synthetic_articles(1, start=3))
    before = corpus.lexicon_size()
    from index.article import Article

    corpus.add([Article.create(id="rare", title="نادر", text=f"كلمة {unique} هنا فقط.")])
    assert corpus.lexicon_size() > before
    with corpus.read() as view:
        frequencies, _ = view.sentence_frequencies(["زنجبيل"])
        assert frequencies.get("زنجبيل") == 1
    corpus.delete(["rare"])
    assert corpus.lexicon_size() == before
    with corpus.read() as view:
        assert view.sentence_frequencies(["زنجبيل"])[0] == {}
        assert view.lexical_search_chunks(["زنجبيل"], 5) == []
    corpus.close()


def test_replacing_an_article_keeps_terms_it_still_has(tmp_path: Path) -> None:
    corpus = Corpus(tmp_path / "index", HashingEmbedder())
    corpus.add(synthetic_articles(2))
    size = corpus.lexicon_size()
    corpus.add(synthetic_articles(2))  # the same articles again: replaced
    assert corpus.lexicon_size() == size
    assert corpus.counts().articles == 2
    corpus.close()
