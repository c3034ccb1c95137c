"""Read views: filters inside the search with right hit counts, the approximate index, and
one generation per view."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.corpus import Corpus, CorpusConfig
from index.filters import ArticleFilter
from index.vector_index import VectorIndexConfig
from tests.conftest import HashingEmbedder
from tests.index.synthetic import synthetic_articles

ARTICLES = 200


def _corpus(path: Path, vectors: VectorIndexConfig) -> Corpus:
    corpus = Corpus(path, HashingEmbedder(), CorpusConfig(vectors=vectors))
    corpus.add(synthetic_articles(ARTICLES, sources=100))
    corpus.wait_for_upkeep()
    return corpus


@pytest.fixture(scope="module")
def exact(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    corpus = _corpus(tmp_path_factory.mktemp("exact"), VectorIndexConfig(factory="Flat"))
    yield corpus
    corpus.close()


@pytest.fixture(scope="module")
def approximate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    # far fewer chunks than a real approximate index, probing every list: the mechanics
    # (training, ids, exact re-ranking) are tested here, recall in eval/reports/scale
    config = VectorIndexConfig(
        factory="IVF8,SQ8", approximate_from=300, nprobe=8, rerank=64, train_sample=1000
    )
    corpus = _corpus(tmp_path_factory.mktemp("approximate"), config)
    yield corpus
    corpus.close()


FILTERS = {
    # 1%, 10% and 90% of the articles
    "1%": ArticleFilter(source="s7", lang="ar"),
    "10%": ArticleFilter(published_from="2025-01-01", published_to="2025-01-03"),
    "90%": ArticleFilter(doc_ids=frozenset(f"synthetic-{i}" for i in range(ARTICLES) if i % 10)),
}


def _chunks_of(corpus: Corpus, article_filter: ArticleFilter) -> int:
    with corpus.read() as view:
        counts = dict.fromkeys(range(ARTICLES), 0)
        for hit in view.lexical_search_chunks(["رقم"], 10_000):
            counts[int(hit.chunk.doc_id.split("-")[1])] += 1
    accepted = {
        a.id for a in synthetic_articles(ARTICLES, sources=100) if _accepts(article_filter, a)
    }
    return sum(n for number, n in counts.items() if f"synthetic-{number}" in accepted)


def _accepts(article_filter: ArticleFilter, article: object) -> bool:
    doc_id, source, published = (getattr(article, name) for name in ("id", "source", "published"))
    return (
        (article_filter.doc_ids is None or doc_id in article_filter.doc_ids)
        and (article_filter.source is None or source == article_filter.source)
        and (article_filter.published_from is None or published >= article_filter.published_from)
        and (article_filter.published_to is None or published <= article_filter.published_to)
    )


@pytest.mark.parametrize("share", list(FILTERS))
@pytest.mark.parametrize("shape", ["exact", "approximate"])
def test_filtered_searches_return_every_accepted_hit_up_to_k(
    share: str, shape: str, request: pytest.FixtureRequest
) -> None:
    corpus: Corpus = request.getfixturevalue(shape)
    article_filter = FILTERS[share]
    accepted = _chunks_of(corpus, article_filter)
    assert accepted > 0
    query = corpus.embedder.encode_queries(["الحكومة تعلن خطة لدعم الاقتصاد"])[0]
    for k in (5, accepted, accepted + 50):
        with corpus.read(article_filter) as view:
            dense = view.search_chunks(query, k)
            lexical = view.lexical_search_chunks(["الحكومه", "رقم"], k)
        expected = min(k, accepted)
        assert len(dense) == expected and len(lexical) == expected
        allowed = {
            a.id for a in synthetic_articles(ARTICLES, sources=100) if _accepts(article_filter, a)
        }
        assert {hit.chunk.doc_id for hit in dense + lexical} <= allowed


def test_the_approximate_index_finds_what_exact_search_finds(
    exact: Corpus, approximate: Corpus
) -> None:
    assert approximate.vector_index_description() == "IVF8,SQ8"
    assert exact.vector_index_description() == "Flat"
    agree = 0
    for number in range(0, ARTICLES, 10):
        text = synthetic_articles(1, start=number, sources=100)[0].text[:120]
        query = exact.embedder.encode_queries([text])[0]
        with exact.read() as view:
            expected = [hit.chunk.id for hit in view.search_chunks(query, 10)]
        with approximate.read() as view:
            found = [hit.chunk.id for hit in view.search_chunks(query, 10)]
        agree += len(set(expected) & set(found))
    assert agree == 10 * len(range(0, ARTICLES, 10))


def test_a_view_sees_one_generation_while_writes_land(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "index", VectorIndexConfig(factory="Flat"))
    done = threading.Event()

    def write() -> None:
        for number in range(ARTICLES, ARTICLES + 40):
            corpus.add(synthetic_articles(1, start=number, sources=100))
            corpus.delete([f"synthetic-{number - ARTICLES}"])
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    query = corpus.embedder.encode_queries(["وقف اطلاق النار"])[0]
    views = 0
    while not done.is_set() or views < 5:
        with corpus.read() as view:
            articles = view.reader.counts().articles
            hits = view.search_chunks(query, 10_000)
            # the in-memory index and the snapshot agree: every hit is a stored chunk
            assert len(hits) == view.reader.counts().chunks
            assert articles in (ARTICLES, ARTICLES + 1)  # between an add and its delete
        views += 1
    writer.join()
    corpus.close()


def test_common_terms_are_left_out_of_the_bm25_search_of_a_large_corpus(
    exact: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.read_view

    with exact.read() as view:
        both = view.lexical_search_chunks(["رقم", "7"], 500)  # every chunk has رقم
    assert len(both) == exact.counts().chunks
    # as if the corpus were large: رقم is in more than the common share of it
    monkeypatch.setattr(index.read_view, "COMMON_TERM_MIN_CHUNKS", 10)
    with exact.read() as view:
        rare = view.lexical_search_chunks(["رقم", "7"], 500)
        alone = view.lexical_search_chunks(["رقم"], 5)
        # the common term still counts in the candidates' own BM25
        scores = view.lexical_scores(["رقم", "7"], [hit.chunk.id for hit in rare])
    assert 0 < len(rare) < len(both)
    assert all(hit.chunk.doc_id in {"synthetic-7"} for hit in rare)
    assert len(alone) == 5  # a question of common terms only keeps its rarest
    assert set(scores) == {hit.chunk.id for hit in rare}
