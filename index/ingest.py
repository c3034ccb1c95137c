"""The ingest pipeline: articles -> passages -> vectors -> one store transaction per group.

Each group of ``commit_every_articles`` is embedded outside any lock, then committed in one
SQLite transaction, groups in order; ``add`` returns when all are durable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from index.article import Article
from index.document_store import DocumentStore
from index.embedding.embedder import Embedder, Matrix
from index.passages import ArticlePassages, split_article
from index.rows import LexiconEntries, PreparedArticle
from index.text.chunking import ChunkingConfig
from index.thread_priority import lower_current_thread_priority

ProgressCallback = Callable[[int], None]
# texts per model call of the ingest at most: enough to batch well, few enough to share out
# between the encode threads and to move the progress bar
ENCODE_PIECE = 128
# told the ids of each group once it is durable (called on the commit thread, in order)
CommittedCallback = Callable[[list[str]], None]


@dataclass(frozen=True)
class IngestConfig:
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    embed_titles: bool = True
    # articles embedded and committed together: the unit of progress and of crash loss
    commit_every_articles: int = 16
    encode_batch_size: int = 16
    # embed each new Arabic term once for cross-lingual query translation (see lexicon.py)
    build_lexicon: bool = True
    # the lexicon stops growing here (about 1 KB per term on disk and in memory)
    max_lexicon_terms: int = 1_000_000
    # niceness of the commit thread (see thread_priority.py); callers that only write, like
    # the service's ingest jobs, lower their own thread the same way
    writer_niceness: int = 10
    # threads that encode at once, each one model call (one inference thread) at a time. On
    # this project's 2 vCPUs two concurrent calls gained nothing for ingest (XQuAD-dev, 120
    # paragraphs: 11.3 s with one, 11.1 s with two, 12.6 s with pieces split to keep both
    # busy): the vCPUs share one core's matrix units. More physical cores would gain.
    encode_workers: int = 1


class IngestPipeline:
    def __init__(
        self,
        store: DocumentStore,
        embedder: Embedder,
        config: IngestConfig,
        after_commit: Callable[[int], None],
    ) -> None:
        self._store = store
        self._embedder = embedder
        self.config = config
        self._after_commit = after_commit
        # one commit thread for the pipeline's life, not one per call: a thread keeps its
        # SQLite read connection (store.snapshot) and that connection's cached pages, so a
        # small write does not open a connection and read the B-tree interiors again
        self._committer = ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix="iqtibas-commit",
            initializer=lower_current_thread_priority,
            initargs=(config.writer_niceness,),
        )

    def close(self) -> None:
        """Wait for a commit in flight and end the commit thread."""
        self._committer.shutdown(wait=True)

    def add(
        self,
        articles: Sequence[Article],
        progress: ProgressCallback | None = None,
        on_committed: CommittedCallback | None = None,
        keep_going: Callable[[], bool] | None = None,
    ) -> list[str]:
        """Add or replace articles; returns the ids committed, once every group is, in order.

        The model encodes group n+1 while a second thread computes the lexical terms of group
        n and commits it: on two cores, the SQLite and Python work hides behind the model's.
        ``keep_going`` is asked before each group; when it says no, the groups committed so
        far stay and the rest are not written.
        """
        unique = list({article.id: article for article in articles}.values())
        step = self.config.commit_every_articles
        committed: list[str] = []
        # lexicon terms embedded by this call: a group in flight has not committed its own
        claimed: set[str] = set()
        pending: Future[None] | None = None
        committer = self._committer
        with (
            ThreadPoolExecutor(
                max_workers=self.config.encode_workers,
                thread_name_prefix="iqtibas-encode",
                initializer=lower_current_thread_priority,
                initargs=(self.config.writer_niceness,),
            )
            if self.config.encode_workers > 1
            else contextlib.nullcontext()  # one worker: the calling thread encodes
        ) as encoders:
            try:
                for begin in range(0, len(unique), step):
                    if keep_going is not None and not keep_going():
                        break
                    group = [
                        split_article(a, self.config.chunking) for a in unique[begin : begin + step]
                    ]
                    vectors = self._encode(
                        self._texts(group), self._encode_passages, progress, encoders
                    )
                    entries = self._new_lexicon_entries(group, progress, claimed, encoders)
                    if pending is not None:
                        pending.result()  # in order: a failed group stops the ones after it
                    if keep_going is not None and not keep_going():
                        pending = None
                        break  # asked to stop while this group was encoded: not written
                    pending = committer.submit(
                        self._commit, group, vectors, entries, committed, on_committed
                    )
                if pending is not None:
                    pending.result()
            except BaseException:
                if pending is not None and not pending.cancel():
                    # a group already committing finishes before this call gives up
                    with contextlib.suppress(BaseException):
                        pending.result()
                raise
        return committed

    def _commit(
        self,
        group: list[ArticlePassages],
        vectors: Matrix,
        entries: LexiconEntries | None,
        committed: list[str],
        on_committed: CommittedCallback | None,
    ) -> None:
        prepared = self._prepare(group, vectors)
        lexicon_terms = (
            [list(passages.arabic_term_surfaces()) for passages in group]
            if self.config.build_lexicon
            else []
        )
        generation = self._store.replace_articles(
            prepared, entries, lexicon_terms, self.config.max_lexicon_terms
        )
        self._after_commit(generation)
        ids = [passages.article.id for passages in group]
        committed.extend(ids)
        if on_committed is not None:
            on_committed(ids)

    def passage_count(self, articles: Sequence[Article]) -> int:
        """How many texts ``add`` will embed, for sizing a progress bar."""
        total = 0
        surfaces: dict[str, str] = {}
        for article in {article.id: article for article in articles}.values():
            passages = split_article(article, self.config.chunking)
            total += len(passages.chunks) + len(passages.sentence_spans)
            if self.config.build_lexicon:
                surfaces.update(passages.arabic_term_surfaces())
        with self._store.snapshot() as reader:
            return total + len(reader.unknown_lexicon_terms(list(surfaces)))

    def _new_lexicon_entries(
        self,
        group: list[ArticlePassages],
        progress: ProgressCallback | None,
        claimed: set[str],
        encoders: ThreadPoolExecutor | None,
    ) -> LexiconEntries | None:
        if not self.config.build_lexicon:
            return None
        surfaces: dict[str, str] = {}
        for passages in group:
            for term, surface in passages.arabic_term_surfaces().items():
                surfaces.setdefault(term, surface)
        with self._store.snapshot() as reader:
            room = self.config.max_lexicon_terms - reader.lexicon_size()
            unknown = reader.unknown_lexicon_terms(list(surfaces))
            terms = [term for term in unknown if term not in claimed][: max(0, room)]
        claimed.update(terms)
        words = [surfaces[term] for term in terms]
        vectors = self._encode(words, self._embedder.encode_words, progress, encoders)
        return LexiconEntries(terms, words, vectors)

    def _texts(self, group: list[ArticlePassages]) -> list[str]:
        texts: list[str] = []
        for passages in group:
            texts += passages.chunk_texts(self.config.embed_titles) + passages.sentence_texts()
        return texts

    def _prepare(self, group: list[ArticlePassages], vectors: Matrix) -> list[PreparedArticle]:
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

    def _encode_passages(self, texts: list[str]) -> Matrix:
        return self._embedder.encode_passages(texts, batch_size=self.config.encode_batch_size)

    def _encode(
        self,
        texts: list[str],
        encode: Callable[[list[str]], Matrix],
        progress: ProgressCallback | None,
        encoders: ThreadPoolExecutor | None,
    ) -> Matrix:
        """Vectors of ``texts`` in their order, encoded by the worker threads in pieces of
        similar length (sorted, so that a model batch pads little); progress per piece."""
        vectors = np.zeros((len(texts), self._embedder.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        pieces = [order[at : at + ENCODE_PIECE] for at in range(0, len(order), ENCODE_PIECE)]

        def run(piece: list[int]) -> Matrix:
            encoded = encode([texts[i] for i in piece])
            if progress is not None:
                progress(len(piece))
            return encoded

        mapped = map(run, pieces) if encoders is None else encoders.map(run, pieces)
        for piece, encoded in zip(pieces, mapped, strict=True):
            vectors[piece] = encoded
        return vectors
