"""The corpus: one index directory opened for reading and writing.

It ties together the document store (the truth), the in-memory indexes that follow it
(live_indexes.py), the ingest pipeline and read views. A write commits to SQLite with no lock
that readers take; the in-memory indexes then apply it under a short exclusive section.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index.article import Article
from index.document_store import DocumentStore
from index.embedding.embedder import Embedder
from index.filters import ArticleFilter
from index.index_directory import STORE_NAME, open_manifest
from index.ingest import CommittedCallback, IngestConfig, IngestPipeline, ProgressCallback
from index.live_indexes import LiveIndexes
from index.manifest import Manifest
from index.preparation import PreparedGroup
from index.read_view import ReadView
from index.rows import StoreCounts
from index.vector_index import VectorIndexConfig

logger = logging.getLogger(__name__)

__all__ = ["CommittedCallback", "Corpus", "CorpusConfig", "ProgressCallback"]


@dataclass(frozen=True)
class CorpusConfig:
    ingest: IngestConfig = field(default_factory=IngestConfig)
    vectors: VectorIndexConfig = field(default_factory=VectorIndexConfig)


class Corpus:
    def __init__(self, directory: Path, embedder: Embedder, config: CorpusConfig | None = None):
        self.directory = directory
        self.embedder = embedder
        self.config = config or CorpusConfig()
        directory.mkdir(parents=True, exist_ok=True)
        self._store = DocumentStore(directory / STORE_NAME)
        self._manifest = open_manifest(
            directory,
            embedder,
            self.config.ingest.chunking,
            self.config.vectors.factory,
            holds_articles=self._store.counts().articles > 0,
        )
        self._live = LiveIndexes.open(
            directory, self._store, embedder.dimension, self.config.vectors
        )
        self._pipeline = IngestPipeline(self._store, embedder, self.config.ingest, self._follow)
        self._background: threading.Thread | None = None
        self._background_lock = threading.Lock()
        self._closed = False
        if self._live.needs_rebuild():
            # the configured vector index differs from the saved one
            self._upkeep(self._rebuild_and_save)

    # --- writing ------------------------------------------------------------------------
    def add(
        self,
        articles: Sequence[Article],
        progress: ProgressCallback | None = None,
        on_committed: CommittedCallback | None = None,
        keep_going: Callable[[], bool] | None = None,
    ) -> list[str]:
        """Add or replace articles; returns the ids committed (see IngestPipeline.add)."""
        return self._pipeline.add(articles, progress, on_committed, keep_going)

    def add_prepared(
        self,
        groups: Iterable[PreparedGroup],
        on_committed: CommittedCallback | None = None,
        keep_going: Callable[[], bool] | None = None,
    ) -> list[str]:
        """Commit groups prepared by other processes (see IngestPipeline.add_prepared)."""
        return self._pipeline.add_prepared(groups, on_committed, keep_going)

    def unchanged(self, articles: Sequence[Article]) -> set[str]:
        """Ids of the articles already stored with the same content: adding them again
        would change nothing, so a rerun of an interrupted ingest skips them."""
        with self._store.snapshot() as reader:
            return reader.unchanged_ids(articles)

    def lexicon_terms(self) -> set[str]:
        with self._store.snapshot() as reader:
            return reader.lexicon_terms()

    def passage_count(self, articles: Sequence[Article]) -> int:
        return self._pipeline.passage_count(articles)

    def delete(self, doc_ids: Sequence[str]) -> list[str]:
        """Delete articles; returns the ids that were present."""
        deleted, generation = self._store.delete_articles(doc_ids)
        if deleted:
            self._follow(generation)
        return deleted

    def _follow(self, generation: int) -> None:
        """After a commit: bring the in-memory indexes up to it, then the upkeep that is due
        (training the approximate index, a snapshot), in the background where configured."""
        self._live.catch_up(self._store)
        if self._live.needs_rebuild():
            self._upkeep(self._rebuild_and_save)
        elif self._live.changes_since_snapshot >= max(
            self.config.vectors.snapshot_every_changes,
            # a snapshot costs O(corpus): taking one every eighth of it keeps writes O(batch)
            # amortised, and a replay after a crash is at most an eighth of the corpus
            self._live.chunks.size // 8,
        ):
            self._upkeep(self.persist)

    def _upkeep(self, task: Callable[[], None]) -> None:
        if not self.config.vectors.background_training:
            task()
            return
        with self._background_lock:
            if self._background is not None and self._background.is_alive():
                return
            self._background = threading.Thread(target=task, name="iqtibas-upkeep", daemon=True)
            self._background.start()

    def _rebuild_and_save(self) -> None:
        self._live.rebuild(self._store)
        self.persist()

    def train_vectors(self) -> None:
        """Rebuild the vector index from the store now (training it when approximate)."""
        self.wait_for_upkeep()
        self._rebuild_and_save()

    def wait_for_upkeep(self) -> None:
        background = self._background
        if background is not None:
            background.join()

    def persist(self) -> None:
        """Save a snapshot of the in-memory indexes, so that opening replays little."""
        generation = self._live.save()
        self._store.prune_log(generation)
        counts = self.counts()
        self._manifest.counts = {
            "articles": counts.articles,
            "chunks": counts.chunks,
            "sentences": counts.sentences,
            "generation": generation,
        }
        self._manifest.write(self.directory)

    def close(self) -> None:
        if self._closed:
            return
        self._pipeline.close()
        self.wait_for_upkeep()
        if self._live.changes_since_snapshot:
            self.persist()
        self._store.close()
        self._closed = True

    # --- reading ------------------------------------------------------------------------
    @contextlib.contextmanager
    def read(self, article_filter: ArticleFilter | None = None) -> Iterator[ReadView]:
        """A view of one generation: a store snapshot and the in-memory indexes at the same
        generation, held for the view's life."""
        while True:
            with self._store.snapshot() as reader:
                generation = reader.generation()
                if self._live.generation < generation:
                    self._live.catch_up(self._store)
                with self._live.reading():
                    if self._live.generation != generation:
                        continue  # a newer write was applied meanwhile: take a newer snapshot
                    yield ReadView(reader, self._live, article_filter, self.config.vectors)
                    return

    def counts(self) -> StoreCounts:
        return self._store.counts()

    def lexicon_size(self) -> int:
        with self._store.snapshot() as reader:
            return reader.lexicon_size()

    def vector_index_description(self) -> str:
        return self._live.chunks.factory

    def vector_count(self) -> int:
        """Chunk vectors in the in-memory index; the store's chunk count when current."""
        with self.read():
            return self._live.chunks.size

    def get(self, doc_id: str) -> Article | None:
        with self._store.snapshot() as reader:
            return reader.article(doc_id)

    def get_many(self, doc_ids: Sequence[str]) -> dict[str, Article]:
        with self._store.snapshot() as reader:
            return reader.articles(doc_ids)

    def list_articles(self, offset: int = 0, limit: int = 50) -> list[Article]:
        with self._store.snapshot() as reader:
            return reader.list_articles(offset, limit)

    def get_meta(self, key: str) -> str | None:
        return self._store.get_meta(key)

    def set_meta(self, values: dict[str, str]) -> None:
        self._store.set_meta(values)

    @property
    def manifest(self) -> Manifest:
        return self._manifest
