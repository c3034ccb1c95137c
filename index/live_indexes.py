"""The in-memory search structures, at one store generation: the FAISS chunk index, the
lexicon's vectors and the article filter columns.

They are a cache of the store. Each change (by this process or another) is applied from the
store's change log in O(change) under a short exclusive lock; searches share the lock. A
snapshot file (``live.g{generation}.npz``) is saved every so many changes, in the background,
so that opening replays only the changes since it; without a usable snapshot, everything is
rebuilt from the store. The approximate index is trained on a sample of stored vectors when
the corpus reaches the configured size and retrained as it grows, off the lock, then swapped in.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from index.article_columns import ArticleColumns
from index.document_store import DocumentStore
from index.rw_lock import ReadWriteLock
from index.snapshot_archive import SnapshotReader, write_snapshot
from index.vector_index import EXACT_FACTORY, Matrix, VectorIndex, VectorIndexConfig

logger = logging.getLogger(__name__)
SNAPSHOT_PREFIX = "live.g"
SNAPSHOT_SUFFIX = ".npz"
# English words search the lexicon, Arabic terms of the corpus: exact while it is small, then
# IVF over float16 codes (its similarity thresholds are finer than 8-bit codes resolve)
LEXICON_VECTORS = VectorIndexConfig(approximate_from=50_000, codec="SQfp16", rerank=0)


class LiveIndexes:
    def __init__(
        self,
        directory: Path,
        dimension: int,
        config: VectorIndexConfig,
        lexicon_config: VectorIndexConfig = LEXICON_VECTORS,
    ) -> None:
        self.directory = directory
        self.dimension = dimension
        self.config = config
        self.lexicon_config = lexicon_config
        self.lock = ReadWriteLock()
        self.generation = 0
        self.chunks = VectorIndex(dimension, EXACT_FACTORY)
        self.lexicon = VectorIndex(dimension, EXACT_FACTORY)
        self.columns = ArticleColumns()
        # re-entrant: catching up may start again from a snapshot or from the store
        self._catch_up_lock = threading.RLock()
        self._rebuilding = threading.Lock()
        self.changes_since_snapshot = 0

    # --- following the store --------------------------------------------------------------
    def catch_up(self, store: DocumentStore) -> None:
        """Apply every change the store holds beyond this generation."""
        with self._catch_up_lock, store.snapshot() as reader:
            target = reader.generation()
            if target <= self.generation:
                return  # another thread caught up further meanwhile
            if reader.log_floor() > self.generation:
                # another process saved a snapshot and forgot removals this state has not
                # seen: start again from the newest snapshot
                self._load_newest(store, reader.generation(), reader.log_floor())
                target = reader.generation()
                if target <= self.generation:
                    return
            changes = reader.changes_since(self.generation)
            chunk_batches = list(reader.chunk_rows_since(self.generation))
            lexicon_batches = list(reader.lexicon_rows_since(self.generation))
            with self.lock.exclusive():
                self.chunks.remove(changes.removed_chunks)
                self.columns.remove_chunks(changes.removed_chunks)
                self.columns.remove_articles(changes.removed_articles)
                self.lexicon.remove(changes.removed_lexicon)
                self.columns.set_articles(changes.added_articles)
                for ids, articles, vectors in chunk_batches:
                    self.chunks.add(ids, vectors)
                    self.columns.set_chunks(ids, articles)
                for ids, vectors in lexicon_batches:
                    self.lexicon.add(ids, vectors)
                self.generation = target
            self.changes_since_snapshot += len(changes.removed_chunks) + sum(
                len(ids) for ids, _, _ in chunk_batches
            )

    def needs_rebuild(self) -> bool:
        """An index that should change shape: exact but big enough for the approximate one,
        approximate where exact is configured, or grown well past its training."""
        return _needs_rebuild(self.chunks, self.config) or _needs_rebuild(
            self.lexicon, self.lexicon_config
        )

    def rebuild(self, store: DocumentStore) -> None:
        """Build the vector index anew from the store (training it if approximate), off the
        lock, then swap it in and apply what was written meanwhile."""
        with self._rebuilding:
            self._replace_from_store(store)
            self.catch_up(store)

    def _replace_from_store(self, store: DocumentStore) -> None:
        with store.snapshot() as reader:
            generation = reader.generation()
            chunks = _new_index(
                self.dimension, self.config, reader.count("chunks"), reader.chunk_sample
            )
            lexicon = _new_index(
                self.dimension, self.lexicon_config, reader.lexicon_size(), reader.lexicon_sample
            )
            columns = ArticleColumns()
            columns.set_articles(reader.article_attributes())
            for ids, articles, vectors in reader.chunk_rows_since(-1):
                chunks.add(ids, vectors)
                columns.set_chunks(ids, articles)
            for ids, vectors in reader.lexicon_rows_since(-1):
                lexicon.add(ids, vectors)
        # changes applied meanwhile must not be lost: none is while the swap holds this
        with self._catch_up_lock, self.lock.exclusive():
            self.chunks, self.columns, self.lexicon = chunks, columns, lexicon
            self.generation = generation
        self.changes_since_snapshot = self.config.snapshot_every_changes

    # --- snapshots ------------------------------------------------------------------------
    def save(self) -> int:
        """Write a snapshot of the current generation atomically; returns that generation.
        The indexes are copied under the shared lock (searches go on; the next write waits
        for a memory copy only) and written without it."""
        with self.lock.shared():
            generation = self.generation
            header = {
                "generation": generation,
                "factory": self.chunks.factory,
                "trained_on": self.chunks.trained_on,
                "lexicon_factory": self.lexicon.factory,
                "lexicon_trained_on": self.lexicon.trained_on,
                "codes": json.loads(json.dumps(self.columns.codes)),
            }
            indexes = {"chunks": self.chunks.copy(), "lexicon": self.lexicon.copy()}
            arrays = self.columns.state()
        path = self.directory / f"{SNAPSHOT_PREFIX}{generation}{SNAPSHOT_SUFFIX}"
        write_snapshot(path, header, arrays, indexes)
        # only older ones: another process may have saved a newer generation, which the log
        # it pruned no longer lets anyone rebuild from an older snapshot
        for _, stale in snapshot_files(self.directory, 0, generation - 1):
            stale.unlink(missing_ok=True)
        self.changes_since_snapshot = 0
        return generation

    def load(self, path: Path) -> None:
        with SnapshotReader(path) as snapshot:
            header = snapshot.header()
            chunks = snapshot.index(
                "chunks", self.dimension, header["factory"], header["trained_on"]
            )
            lexicon = snapshot.index(
                "lexicon",
                self.dimension,
                header["lexicon_factory"],
                header["lexicon_trained_on"],
            )
            columns = ArticleColumns()
            columns.restore(
                {
                    name: snapshot.array(name)
                    for name in ("alive", "source", "lang", "day", "chunk_article")
                },
                header["codes"],
            )
        with self.lock.exclusive():
            self.chunks, self.lexicon, self.columns = chunks, lexicon, columns
            self.generation = int(header["generation"])

    def _load_newest(self, store: DocumentStore, generation: int, floor: int) -> None:
        """The newest snapshot the store's log can bring up to date, else a rebuild."""
        for _, path in snapshot_files(self.directory, floor, generation):
            try:
                self.load(path)
                return
            except (OSError, ValueError, KeyError) as error:
                logger.warning("snapshot %s unreadable (%s): rebuilding", path.name, error)
        if generation:
            self._replace_from_store(store)

    @classmethod
    def open(
        cls, directory: Path, store: DocumentStore, dimension: int, config: VectorIndexConfig
    ) -> LiveIndexes:
        """The latest usable snapshot plus the changes since, or a rebuild from the store."""
        live = cls(directory, dimension, config)
        with store.snapshot() as reader:
            generation, floor = reader.generation(), reader.log_floor()
        live._load_newest(store, generation, floor)
        live.catch_up(store)
        return live

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        with self.lock.shared():
            yield


def _needs_rebuild(index: VectorIndex, config: VectorIndexConfig) -> bool:
    size = index.size
    if not config.wants_approximate(size):
        # approximate where exact search is configured, or the corpus shrank a lot
        return not index.is_exact and (
            config.factory == EXACT_FACTORY or size < config.approximate_from // 2
        )
    if index.is_exact:
        return True
    if config.factory not in ("auto", index.factory):
        return True  # another factory configured
    return size >= config.retrain_growth * max(index.trained_on, 1)


def _new_index(
    dimension: int, config: VectorIndexConfig, size: int, sample: Callable[[int], Matrix]
) -> VectorIndex:
    """An empty index of the shape ``config`` wants for ``size`` vectors, trained if needed."""
    if not config.wants_approximate(size):
        return VectorIndex(dimension, EXACT_FACTORY)
    factory = config.approximate_factory(size)
    index = VectorIndex(dimension, factory)
    logger.info("training %s on up to %d of %d vectors", factory, config.train_sample, size)
    index.train(sample(config.train_sample))
    # retraining is measured against the corpus size it was trained for
    index.trained_on = size
    return index


def snapshot_files(directory: Path, lowest: int, highest: int) -> list[tuple[int, Path]]:
    """The snapshot files in ``directory`` of generations ``lowest`` to ``highest``, each
    with its generation, newest first (files that only look like one are passed over)."""
    found = []
    for path in directory.glob(f"{SNAPSHOT_PREFIX}*{SNAPSHOT_SUFFIX}"):
        number = path.name[len(SNAPSHOT_PREFIX) : -len(SNAPSHOT_SUFFIX)]
        if number.isdigit() and lowest <= int(number) <= highest:
            found.append((int(number), path))
    return sorted(found, reverse=True)
