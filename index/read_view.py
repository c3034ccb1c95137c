"""A read view: everything one question reads, from one generation of the corpus.

It pairs a store snapshot with the in-memory indexes at the same generation (held shared for
the view's life, so a change waits for the view to end rather than the view for the change's
commit), and resolves the article filter once, into a FAISS id bitmap and a chunk mask that
every search of the view applies inside the search, so hit counts are right at any
selectivity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from index import lexicon
from index.article import Article
from index.filters import ArticleFilter
from index.live_indexes import LiveIndexes
from index.rows import ChunkHit, Matrix, StoredChunk, StoredSentence
from index.store_reader import StoreReader
from index.vector_index import VectorIndexConfig

# a term in more chunks than this share of the corpus is too common to search for (its idf
# is under 5.3), unless it is in fewer than COMMON_TERM_MIN_CHUNKS: small corpora (the
# development sets have under 2,000 chunks) are searched with every term
COMMON_TERM_SHARE = 0.005
COMMON_TERM_MIN_CHUNKS = 5_000


class ReadView:
    def __init__(
        self,
        reader: StoreReader,
        live: LiveIndexes,
        article_filter: ArticleFilter | None,
        config: VectorIndexConfig,
    ) -> None:
        self.reader = reader
        self._live = live
        self._config = config
        self.generation = live.generation
        self._chunk_mask: npt.NDArray[np.bool_] | None = None
        self._bitmap: npt.NDArray[np.uint8] | None = None
        self.allowed_chunks = live.chunks.size
        if article_filter is not None and not article_filter.is_empty:
            keys = (
                reader.article_keys(sorted(article_filter.doc_ids))
                if article_filter.doc_ids is not None
                else None
            )
            mask = live.columns.chunk_mask(live.columns.article_mask(article_filter, keys))
            self._chunk_mask = mask
            self._bitmap = np.packbits(mask, bitorder="little")
            self.allowed_chunks = int(mask.sum())

    # --- candidates -----------------------------------------------------------------------
    def search_chunks(self, query: Matrix, k: int) -> list[ChunkHit]:
        """The ``k`` chunks nearest to ``query`` among the accepted articles, best first."""
        if k <= 0 or self.allowed_chunks == 0:
            return []
        index = self._live.chunks
        width = k if index.is_exact else max(k, self._config.rerank)
        nprobe = index.probes(self._config.nprobe)
        if self._bitmap is not None and not index.is_exact:
            # a selective filter leaves few of the accepted chunks in the nearest lists
            share = self.allowed_chunks / max(index.size, 1)
            nprobe = min(index.lists, math.ceil(nprobe / max(share, 1e-9)))
        ids, scores = index.search(query, width, self._bitmap, nprobe)
        wanted = min(width, self.allowed_chunks)
        while len(ids) < wanted and nprobe < index.lists:
            # the probed lists hold fewer accepted chunks than asked for: probe more
            nprobe = min(index.lists, nprobe * 4)
            ids, scores = index.search(query, width, self._bitmap, nprobe)
        if not index.is_exact and self._config.rerank:
            vectors = self.reader.chunk_vectors(ids.tolist())
            exact = [(float(vectors[i] @ query), int(i)) for i in ids.tolist() if i in vectors]
            exact.sort(reverse=True)
            ids = np.asarray([i for _, i in exact[:k]], dtype=np.int64)
            scores = np.asarray([s for s, _ in exact[:k]], dtype=np.float32)
        return self._hits(ids[:k].tolist(), scores[:k].tolist())

    def lexical_search_chunks(self, terms: Sequence[str], k: int) -> list[ChunkHit]:
        """The ``k`` best chunks by BM25 over ``terms``, among the accepted articles.

        FTS5 scores every chunk that matches any term, so a term held by more than one chunk
        in COMMON_TERM_SHARE of a large corpus is left out of the search (one common word
        would cost as much as the corpus); it still counts in the candidates' BM25
        (``lexical_scores``). Under a filter the search asks for enough matches to expect
        ``k`` accepted ones, and asks again for more only when it falls short."""
        if k <= 0 or self.allowed_chunks == 0:
            return []
        terms = self._selective(terms)
        if self._chunk_mask is None:
            scored = self.reader.lexical_search(terms, k)
        else:
            mask = self._chunk_mask
            share = self.allowed_chunks / max(self._live.chunks.size, 1)
            limit: int | None = math.ceil(k * 4 / max(share, 1e-9))
            while True:
                found = self.reader.lexical_search(terms, limit)
                scored = [(i, s) for i, s in found if i < len(mask) and mask[i]][:k]
                if len(scored) == k or limit is None or len(found) < limit:
                    break
                limit = None if limit * 8 > self._live.chunks.size else limit * 8
        return self._hits([i for i, _ in scored], [s for _, s in scored])

    def _selective(self, terms: Sequence[str]) -> list[str]:
        chunk_count = self.reader.count("chunks")
        limit = max(COMMON_TERM_MIN_CHUNKS, int(chunk_count * COMMON_TERM_SHARE))
        frequencies = self.reader.term_frequencies(terms)
        kept = [t for t in dict.fromkeys(terms) if frequencies.get(t, (0, 0))[1] <= limit]
        if kept or not frequencies:
            return kept
        return [min(frequencies, key=lambda term: frequencies[term][1])]

    def _hits(self, ids: list[int], scores: list[float]) -> list[ChunkHit]:
        chunks = self.reader.chunks(ids)
        return [ChunkHit(chunks[i], s) for i, s in zip(ids, scores, strict=True) if i in chunks]

    # --- evidence -------------------------------------------------------------------------
    def chunk_vectors(self, chunk_ids: Sequence[int]) -> Matrix:
        found = self.reader.chunk_vectors(chunk_ids)
        return np.vstack([found[i] for i in chunk_ids]).astype(np.float32, copy=False)

    def lexical_scores(self, terms: Sequence[str], chunk_ids: Sequence[int]) -> dict[int, float]:
        return self.reader.lexical_scores(terms, chunk_ids)

    def sentence_frequencies(self, terms: Sequence[str]) -> tuple[dict[str, int], int]:
        return self.reader.sentence_frequencies(terms)

    def translate(
        self, words: Sequence[str], vectors: Matrix, config: lexicon.TranslationConfig
    ) -> list[list[str]]:
        return lexicon.translate(
            self.reader.connection,
            self._live.lexicon,
            words,
            vectors,
            config,
            self._live.lexicon.probes(self._live.lexicon_config.nprobe),
        )

    def chunk_sentences(self, chunk: StoredChunk) -> list[StoredSentence]:
        return self.reader.sentences(chunk.doc_id, chunk.first_sentence, chunk.last_sentence)

    def sentences_of_chunks(self, chunks: Sequence[StoredChunk]) -> dict[int, list[StoredSentence]]:
        return self.reader.sentences_of_chunks(chunks)

    def sentence_span(self, doc_id: str, position: int) -> StoredSentence | None:
        if position < 0:
            return None
        found = self.reader.sentences(doc_id, position, position)
        return found[0] if found else None

    def articles(self, doc_ids: Sequence[str]) -> dict[str, Article]:
        return self.reader.articles(doc_ids)
