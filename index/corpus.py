"""The corpus: an index directory with its document store, vector indexes and manifest.

Writes embed outside the lock, then commit to SQLite and update FAISS together under it, so
a reader sees the corpus before or after a write, never half of it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from index.article import Article
from index.document_store import (
    DocumentStore,
    LexiconEntries,
    PreparedArticle,
    StoreCounts,
    StoredChunk,
    StoredSentence,
    VectorDelta,
)
from index.embedding.embedder import Embedder, Matrix, fingerprints_match
from index.filters import ArticleFilter
from index.lexicon import Lexicon
from index.manifest import FORMAT_VERSION, IndexFormatError, Manifest, ModelMismatchError
from index.passages import ArticlePassages, split_article
from index.text.chunking import ChunkingConfig
from index.text.normalize import NORMALIZATION_VERSION
from index.vector_index import VectorIndex

STORE_NAME = "documents.sqlite3"
VECTOR_KINDS = ("chunks", "sentences")

ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class CorpusConfig:
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    faiss_factory: str = "Flat"
    embed_titles: bool = True
    # articles embedded and committed together: the unit of progress and of crash loss
    commit_every_articles: int = 16
    encode_batch_size: int = 16
    # embed each new Arabic term once for cross-lingual query translation (see lexicon.py)
    build_lexicon: bool = True


@dataclass(frozen=True, slots=True)
class ChunkHit:
    chunk: StoredChunk
    score: float


class Corpus:
    def __init__(self, directory: Path, embedder: Embedder, config: CorpusConfig | None = None):
        self.directory = directory
        self.embedder = embedder
        self.config = config or CorpusConfig()
        self._lock = threading.RLock()
        directory.mkdir(parents=True, exist_ok=True)
        self._store = DocumentStore(directory / STORE_NAME)
        self._manifest = self._open_manifest()
        self._vectors = {
            kind: VectorIndex(embedder.dimension, self.config.faiss_factory)
            for kind in VECTOR_KINDS
        }
        self._generation = -1
        self._saved_generation = -1
        self._lexicon: Lexicon | None = None
        self._load_vectors()

    # --- opening ------------------------------------------------------------------------
    def _open_manifest(self) -> Manifest:
        manifest = Manifest.read(self.directory)
        if manifest is None:
            if self._store.counts().articles:
                raise IndexFormatError(
                    f"{self.directory} holds articles but no manifest.json; it cannot be "
                    "checked against the model. Restore the manifest or rebuild the index."
                )
            manifest = Manifest(
                format_version=FORMAT_VERSION,
                model=self.embedder.name,
                model_fingerprint=self.embedder.fingerprint_vector(),
                dimension=self.embedder.dimension,
                normalization_version=NORMALIZATION_VERSION,
                chunking=asdict(self.config.chunking),
                faiss_factory=self.config.faiss_factory,
            )
            manifest.write(self.directory)
            return manifest
        if manifest.model != self.embedder.name or manifest.dimension != self.embedder.dimension:
            raise ModelMismatchError(
                f"the index in {self.directory} was built with model {manifest.model!r} "
                f"({manifest.dimension} dimensions), but the configured model is "
                f"{self.embedder.name!r} ({self.embedder.dimension} dimensions). Set "
                f"IQTIBAS_MODEL={manifest.model!r}, or use another IQTIBAS_DATA_DIR."
            )
        if not fingerprints_match(manifest.model_fingerprint, self.embedder.fingerprint_vector()):
            raise ModelMismatchError(
                f"the model named {manifest.model!r} now produces different vectors than the "
                f"one that built the index in {self.directory}; its answers would be garbage. "
                "Restore the original model files or rebuild the index."
            )
        return manifest

    def _vector_path(self, kind: str, generation: int) -> Path:
        return self.directory / f"{kind}.g{generation}.faiss"

    def _load_vectors(self) -> None:
        generation = self._store.generation()
        paths = {kind: self._vector_path(kind, generation) for kind in VECTOR_KINDS}
        if all(path.exists() for path in paths.values()):
            self._vectors = {
                kind: VectorIndex.load(path, self.embedder.dimension, self.config.faiss_factory)
                for kind, path in paths.items()
            }
            self._saved_generation = generation
        else:
            # the FAISS files are a cache of the store: stale or missing after a crash
            for kind in VECTOR_KINDS:
                self._vectors[kind].rebuild(self._store.iter_vectors(kind))
        self._generation = generation
        self._lexicon = None

    def _follow_other_writers(self) -> None:
        """Another process (a CLI ingest next to a server) may have written the store."""
        if self._store.generation() != self._generation:
            self._load_vectors()

    # --- writing ------------------------------------------------------------------------
    def add(
        self, articles: Sequence[Article], progress: ProgressCallback | None = None
    ) -> list[str]:
        """Add or replace articles; returns their ids. Each group is durable once committed."""
        unique = list({article.id: article for article in articles}.values())
        step = self.config.commit_every_articles
        for begin in range(0, len(unique), step):
            group = [split_article(a, self.config.chunking) for a in unique[begin : begin + step]]
            prepared = self._embed(group, progress)
            entries = self._new_lexicon_entries(group, progress)
            with self._lock:
                self._follow_other_writers()
                delta = self._store.replace_articles(prepared, self.embedder.dimension, entries)
                self._apply(delta)
        if unique:
            self.persist()
        return [article.id for article in unique]

    def passage_count(self, articles: Sequence[Article]) -> int:
        """How many texts ``add`` will embed, for sizing a progress bar."""
        total = 0
        surfaces: dict[str, str] = {}
        for article in {article.id: article for article in articles}.values():
            passages = split_article(article, self.config.chunking)
            total += len(passages.chunks) + len(passages.sentence_spans)
            if self.config.build_lexicon:
                surfaces.update(passages.arabic_term_surfaces())
        return total + len(self._store.unknown_lexicon_terms(list(surfaces)))

    def _new_lexicon_entries(
        self, group: list[ArticlePassages], progress: ProgressCallback | None
    ) -> LexiconEntries | None:
        if not self.config.build_lexicon:
            return None
        surfaces: dict[str, str] = {}
        for passages in group:
            for term, surface in passages.arabic_term_surfaces().items():
                surfaces.setdefault(term, surface)
        terms = self._store.unknown_lexicon_terms(list(surfaces))
        words = [surfaces[term] for term in terms]
        vectors = self.embedder.encode_words(words)
        if progress is not None and words:
            progress(len(words))
        return LexiconEntries(terms, words, vectors)

    def _embed(
        self, group: list[ArticlePassages], progress: ProgressCallback | None
    ) -> list[PreparedArticle]:
        texts: list[str] = []
        for passages in group:
            texts += passages.chunk_texts(self.config.embed_titles) + passages.sentence_texts()
        vectors = self._encode_with_progress(texts, progress)
        prepared = []
        offset = 0
        for passages in group:
            chunk_count, sentence_count = len(passages.chunks), len(passages.sentence_spans)
            chunk_vectors = vectors[offset : offset + chunk_count]
            sentence_vectors = vectors[offset + chunk_count : offset + chunk_count + sentence_count]
            offset += chunk_count + sentence_count
            prepared.append(
                PreparedArticle(
                    article=passages.article,
                    sentence_spans=passages.sentence_spans,
                    sentence_vectors=sentence_vectors,
                    sentence_terms=passages.sentence_terms(),
                    chunk_spans=passages.chunk_spans(),
                    chunk_vectors=chunk_vectors,
                    chunk_terms=passages.chunk_terms(self.config.embed_titles),
                )
            )
        return prepared

    def _encode_with_progress(self, texts: list[str], progress: ProgressCallback | None) -> Matrix:
        batch = self.config.encode_batch_size
        if progress is None:
            return self.embedder.encode_passages(texts, batch_size=batch)
        parts = []
        # several model batches per call keep length-sorting useful while the bar still moves
        step = batch * 4
        for begin in range(0, len(texts), step):
            parts.append(
                self.embedder.encode_passages(texts[begin : begin + step], batch_size=batch)
            )
            progress(len(parts[-1]))
        if not parts:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return np.vstack(parts)

    def delete(self, doc_ids: Sequence[str]) -> list[str]:
        """Delete articles; returns the ids that were present."""
        with self._lock:
            self._follow_other_writers()
            deleted, delta = self._store.delete_articles(doc_ids, self.embedder.dimension)
            self._apply(delta)
        if deleted:
            self.persist()
        return deleted

    def _apply(self, delta: VectorDelta) -> None:
        for kind, removed, added, vectors in (
            ("chunks", delta.removed_chunk_ids, delta.added_chunk_ids, delta.added_chunk_vectors),
            (
                "sentences",
                delta.removed_sentence_ids,
                delta.added_sentence_ids,
                delta.added_sentence_vectors,
            ),
        ):
            self._vectors[kind].remove(removed)
            self._vectors[kind].add(added, vectors)
        self._generation = delta.generation
        self._lexicon = None

    def persist(self) -> None:
        """Save the FAISS caches and manifest counts for the current generation."""
        with self._lock:
            generation = self._generation
            if generation == self._saved_generation:
                return
            for kind in VECTOR_KINDS:
                self._vectors[kind].save(self._vector_path(kind, generation))
            counts = self._store.counts()
            self._manifest.counts = {
                "articles": counts.articles,
                "chunks": counts.chunks,
                "sentences": counts.sentences,
                "generation": counts.generation,
            }
            self._manifest.write(self.directory)
            self._saved_generation = generation
        for stale in self.directory.glob("*.faiss"):
            if not stale.name.endswith(f".g{generation}.faiss"):
                stale.unlink(missing_ok=True)

    def close(self) -> None:
        self.persist()
        self._store.close()

    # --- reading ------------------------------------------------------------------------
    @contextlib.contextmanager
    def consistent_view(self) -> Iterator[None]:
        """Hold while searching and fetching, so that no write lands in between."""
        with self._lock:
            self._follow_other_writers()
            yield

    def search_chunks(
        self, query: Matrix, k: int, article_filter: ArticleFilter | None = None
    ) -> list[ChunkHit]:
        """The ``k`` chunks nearest to ``query`` among the articles the filter accepts."""
        with self.consistent_view():
            return self._nearest_chunks(query, k, self._allowed(article_filter))

    def _nearest_chunks(self, query: Matrix, k: int, allowed: set[str] | None) -> list[ChunkHit]:
        index = self._vectors["chunks"]
        # a filter drops hits after the search, so search wider, then everything if needed
        width = k if allowed is None else max(k * 10, 200)
        while True:
            ids, scores = index.search(query, width)
            chunks = self._store.get_chunks(ids)
            hits = [
                ChunkHit(chunks[i], s)
                for i, s in zip(ids, scores, strict=True)
                if i in chunks and (allowed is None or chunks[i].doc_id in allowed)
            ]
            if len(hits) >= k or width >= index.size:
                return hits[:k]
            width = index.size

    def lexical_search_chunks(
        self, terms: Sequence[str], k: int, article_filter: ArticleFilter | None = None
    ) -> list[ChunkHit]:
        """The ``k`` best chunks by BM25 over ``terms``, among the accepted articles."""
        with self.consistent_view():
            allowed = self._allowed(article_filter)
            width = k if allowed is None else max(k * 10, 200)
            scored = self._store.lexical_search("chunk_terms", terms, width)
            chunks = self._store.get_chunks([chunk_id for chunk_id, _ in scored])
            hits = [
                ChunkHit(chunks[i], score)
                for i, score in scored
                if i in chunks and (allowed is None or chunks[i].doc_id in allowed)
            ]
        return hits[:k]

    def search_sentences(
        self, query: Matrix, k: int, article_filter: ArticleFilter | None = None
    ) -> list[tuple[StoredSentence, float]]:
        """The ``k`` sentences nearest to ``query``, among the accepted articles."""
        with self.consistent_view():
            allowed = self._allowed(article_filter)
            index = self._vectors["sentences"]
            width = k if allowed is None else min(index.size, max(k * 10, 200))
            ids, scores = index.search(query, width)
            sentences = self._store.sentences_by_ids(ids)
            hits = [
                (sentences[i], score)
                for i, score in zip(ids, scores, strict=True)
                if i in sentences and (allowed is None or sentences[i].doc_id in allowed)
            ]
        return hits[:k]

    def iter_vectors(self, kind: str) -> Iterator[tuple[list[int], Matrix]]:
        """All stored vectors of ``chunks`` or ``sentences``, in batches."""
        return self._store.iter_vectors(kind)

    def chunk_vectors(self, chunk_ids: Sequence[int]) -> Matrix:
        return self._store.chunk_vectors(chunk_ids)

    def lexical_scores(
        self, terms: Sequence[str], chunk_ids: Sequence[int]
    ) -> list[tuple[int, float]]:
        """BM25 of ``terms`` for exactly these chunks (those with no term are left out)."""
        return self._store.lexical_search("chunk_terms", terms, len(chunk_ids), within=chunk_ids)

    def chunks_containing(self, sentence: StoredSentence) -> list[StoredChunk]:
        return self._store.chunks_containing(sentence.doc_id, sentence.position)

    def sentence_terms(self, sentence_ids: Sequence[int]) -> dict[int, str]:
        return self._store.stored_terms("sentence_terms", sentence_ids)

    def document_frequencies(self, terms: Sequence[str]) -> tuple[dict[str, int], int]:
        return self._store.document_frequencies(terms)

    def lexicon(self) -> Lexicon:
        with self.consistent_view():
            if self._lexicon is None:
                self._lexicon = self._store.load_lexicon(self.embedder.dimension)
            return self._lexicon

    def _allowed(self, article_filter: ArticleFilter | None) -> set[str] | None:
        if article_filter is None or article_filter.is_empty:
            return None
        return self._store.matching_doc_ids(article_filter)

    def chunk_sentences(self, chunk: StoredChunk) -> list[StoredSentence]:
        return self._store.get_sentences(chunk.doc_id, chunk.first_sentence, chunk.last_sentence)

    def sentence_span(self, doc_id: str, position: int) -> StoredSentence | None:
        found = self._store.get_sentences(doc_id, position, position)
        return found[0] if found else None

    def get(self, doc_id: str) -> Article | None:
        return self._store.get_article(doc_id)

    def get_many(self, doc_ids: Sequence[str]) -> dict[str, Article]:
        return self._store.get_articles(doc_ids)

    def list_articles(self, offset: int = 0, limit: int = 50) -> list[Article]:
        return self._store.list_articles(offset, limit)

    def counts(self) -> StoreCounts:
        return self._store.counts()

    def article_ids(self) -> list[str]:
        return self._store.article_ids()

    def vector_counts(self) -> dict[str, int]:
        """Vectors held by each FAISS index; equal to the store's counts when consistent."""
        with self._lock:
            return {kind: index.size for kind, index in self._vectors.items()}

    def get_meta(self, key: str) -> str | None:
        return self._store.get_meta(key)

    def set_meta(self, values: dict[str, str]) -> None:
        self._store.set_meta(values)

    @property
    def manifest(self) -> Manifest:
        return self._manifest
