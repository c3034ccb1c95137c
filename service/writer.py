"""The single writer. Adds and deletes run one at a time, so that two batches naming the same
article cannot interleave: the change asked for last is the one kept."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence

from index.article import Article
from index.corpus import Corpus, ProgressCallback
from service.schemas import ArticleState


class CorpusWriter:
    def __init__(self, corpus: Corpus) -> None:
        self._corpus = corpus
        self._lock = threading.Lock()

    @property
    def group_size(self) -> int:
        """Articles Corpus.add commits together: the unit of durable progress."""
        return self._corpus.config.ingest.commit_every_articles

    @property
    def niceness(self) -> int:
        """How far threads that only write lower their priority."""
        return self._corpus.config.ingest.writer_niceness

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._lock:
            yield

    def store(
        self,
        articles: Sequence[Article],
        progress: ProgressCallback | None = None,
        on_stored: Callable[[list[tuple[str, ArticleState]]], None] | None = None,
        keep_going: Callable[[], bool] | None = None,
    ) -> list[tuple[str, ArticleState]]:
        """Add or replace, in commit groups told to ``on_stored`` as each becomes durable;
        returns every stored article. Call inside ``exclusive()``."""
        # nobody else writes while the lock is held, so "existed" cannot go stale
        existing = set(self._corpus.get_many([article.id for article in articles]))

        def states(ids: list[str]) -> list[tuple[str, ArticleState]]:
            return [(i, "replaced" if i in existing else "created") for i in ids]

        def committed(ids: list[str]) -> None:
            if on_stored is not None:
                on_stored(states(ids))

        return states(self._corpus.add(articles, progress, committed, keep_going))

    def delete(self, doc_id: str) -> bool:
        """Call inside ``exclusive()``."""
        return bool(self._corpus.delete([doc_id]))

    def passage_count(self, articles: Sequence[Article]) -> int:
        return self._corpus.passage_count(articles)
