"""The single writer: the write queue's worker (jobs.py) is its only caller, so that changes
apply one at a time in the order accepted, and two naming the same article cannot interleave."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from index.article import Article
from index.corpus import CommittedCallback, Corpus, ProgressCallback


class CorpusWriter:
    def __init__(self, corpus: Corpus) -> None:
        self._corpus = corpus

    @property
    def group_size(self) -> int:
        """Articles Corpus.add commits together: the unit of durable progress."""
        return self._corpus.config.ingest.commit_every_articles

    @property
    def niceness(self) -> int:
        """How far threads that only write lower their priority."""
        return self._corpus.config.ingest.writer_niceness

    def existing(self, doc_ids: Sequence[str]) -> set[str]:
        """Which of these ids are stored now."""
        return set(self._corpus.get_many(list(doc_ids)))

    def store(
        self,
        articles: Sequence[Article],
        progress: ProgressCallback | None = None,
        on_committed: CommittedCallback | None = None,
        keep_going: Callable[[], bool] | None = None,
    ) -> list[str]:
        """Add or replace, in commit groups told to ``on_committed`` as each becomes durable;
        returns the ids committed (all of them unless ``keep_going`` said stop)."""
        return self._corpus.add(articles, progress, on_committed, keep_going)

    def delete(self, doc_id: str) -> bool:
        return bool(self._corpus.delete([doc_id]))

    def passage_count(self, articles: Sequence[Article]) -> int:
        return self._corpus.passage_count(articles)
