"""The ingest pipeline: articles -> passages -> vectors -> one store transaction per group.

Each group of ``commit_every_articles`` is embedded outside any lock, then committed in one
SQLite transaction, groups in order; ``add`` returns when all are durable.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from index.article import Article
from index.document_store import DocumentStore
from index.embedding.embedder import Embedder, Matrix
from index.passages import ArticlePassages, split_article
from index.preparation import (
    PreparedGroup,
    analyse,
    commit_groups,
    encode_in_pieces,
    group_term_surfaces,
    group_texts,
    prepare_group,
)
from index.rows import LexiconEntries
from index.text.chunking import ChunkingConfig
from index.thread_priority import lower_current_thread_priority

ProgressCallback = Callable[[int], None]
# told the ids of each group once it is durable (called on the commit thread, in order)
CommittedCallback = Callable[[list[str]], None]
# a group ready to commit, finished (its terms computed) on the commit thread
_GroupToCommit = Callable[[], PreparedGroup]


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
    # threads that each encode a share of a group's texts. The OpenVINO runtime already runs
    # a long encode's batches on every core (runtime.encode_token_lists, one call per core),
    # which on a 2-core CPU without AMX encoded twice as fast as one call; on the AMX machine
    # two calls gained nothing (11.3 s against 11.1 s for XQuAD-dev's 120 paragraphs), its
    # two vCPUs sharing one core's matrix units. So one: more would only add threads.
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
        # A group's new lexicon words are embedded on this thread while the next group is
        # split and its passages embedded: the model's streams stay busy through the Python
        # work between calls (XQuAD-dev, 120 paragraphs, int8 on 2 cores: see
        # eval/reports/throughput/). One thread: groups claim their terms in order.
        self._lexicon_encoder = ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix="iqtibas-lexicon",
            initializer=lower_current_thread_priority,
            initargs=(config.writer_niceness,),
        )

    def close(self) -> None:
        """Wait for a commit in flight and end the commit and lexicon threads."""
        self._committer.shutdown(wait=True)
        self._lexicon_encoder.shutdown(wait=True)

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
            claimed: set[str] = set()

            def encoded_groups() -> Iterator[_GroupToCommit]:
                for articles_of_group in commit_groups(articles, self.config.commit_every_articles):
                    group = [split_article(a, self.config.chunking) for a in articles_of_group]
                    texts = group_texts(group, self.config.embed_titles)
                    vectors = self._encode(texts, self._encode_passages, progress, encoders)
                    entries = self._lexicon_encoder.submit(
                        self._new_lexicon_entries, group, progress, claimed, encoders
                    )
                    # the terms are computed on the commit thread, beside the next encoding
                    yield functools.partial(self._prepare_group, group, vectors, entries)

            return self._commit_in_order(encoded_groups(), on_committed, keep_going)

    def add_prepared(
        self,
        groups: Iterable[PreparedGroup],
        on_committed: CommittedCallback | None = None,
        keep_going: Callable[[], bool] | None = None,
    ) -> list[str]:
        """Commit groups prepared elsewhere (by Ray workers), in order, as ``add`` commits its
        own: the next group is received while this one commits. Of each group's lexicon
        candidates, the terms neither stored nor claimed by an earlier group are kept, as
        many as the lexicon has room for: what ``add`` would have embedded."""
        claimed: set[str] = set()

        def admitted() -> Iterator[_GroupToCommit]:
            for group in groups:
                yield functools.partial(
                    self._admit_lexicon_candidates, group, self._admit_terms(group, claimed)
                )

        return self._commit_in_order(admitted(), on_committed, keep_going)

    def _commit_in_order(
        self,
        groups: Iterator[_GroupToCommit],
        on_committed: CommittedCallback | None,
        keep_going: Callable[[], bool] | None,
    ) -> list[str]:
        committed: list[str] = []
        pending: Future[None] | None = None
        try:
            while True:
                if keep_going is not None and not keep_going():
                    break
                group = next(groups, None)
                if group is None:
                    break
                if pending is not None:
                    pending.result()  # in order: a failed group stops the ones after it
                if keep_going is not None and not keep_going():
                    pending = None
                    break  # asked to stop while this group was prepared: not written
                pending = self._committer.submit(self._commit, group, committed, on_committed)
            if pending is not None:
                pending.result()
        except BaseException:
            if pending is not None and not pending.cancel():
                # a group already committing finishes before this call gives up
                with contextlib.suppress(BaseException):
                    pending.result()
            raise
        finally:
            close = getattr(groups, "close", None)
            if close is not None:
                close()
        return committed

    def _commit(
        self,
        build: _GroupToCommit,
        committed: list[str],
        on_committed: CommittedCallback | None,
    ) -> None:
        group = build()
        generation = self._store.replace_articles(
            group.articles,
            group.lexicon_candidates,
            group.lexicon_terms,
            self.config.max_lexicon_terms,
        )
        self._after_commit(generation)
        ids = [prepared.article.id for prepared in group.articles]
        committed.extend(ids)
        if on_committed is not None:
            on_committed(ids)

    def _prepare_group(
        self,
        group: list[ArticlePassages],
        vectors: Matrix,
        entries: Future[LexiconEntries | None],
    ) -> PreparedGroup:
        config = self.config
        analysed = [analyse(p, config.embed_titles, config.build_lexicon) for p in group]
        return prepare_group(analysed, vectors, entries.result(), config.build_lexicon)

    @staticmethod
    def _admit_lexicon_candidates(group: PreparedGroup, terms: list[str]) -> PreparedGroup:
        candidates = group.lexicon_candidates
        if candidates is None:
            return group
        row = {term: index for index, term in enumerate(candidates.terms)}
        rows = [row[term] for term in terms]
        return PreparedGroup(
            group.articles,
            group.lexicon_terms,
            LexiconEntries(terms, [candidates.surfaces[i] for i in rows], candidates.vectors[rows]),
        )

    def _admit_terms(self, group: PreparedGroup, claimed: set[str]) -> list[str]:
        if group.lexicon_candidates is None or not self.config.build_lexicon:
            return []
        return self._claim_new_terms(list(group.lexicon_candidates.terms), claimed)

    def _claim_new_terms(self, terms: list[str], claimed: set[str]) -> list[str]:
        """Of ``terms``, those the store lacks and no earlier group of this call took, as
        many as the lexicon has room for; they are claimed for this group."""
        with self._store.snapshot() as reader:
            room = self.config.max_lexicon_terms - reader.lexicon_size()
            unknown = reader.unknown_lexicon_terms(terms)
        admitted = [term for term in unknown if term not in claimed][: max(0, room)]
        claimed.update(admitted)
        return admitted

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
        surfaces = group_term_surfaces(p.arabic_term_surfaces() for p in group)
        terms = self._claim_new_terms(list(surfaces), claimed)
        words = [surfaces[term] for term in terms]
        vectors = self._encode(words, self._embedder.encode_words, progress, encoders)
        return LexiconEntries(terms, words, vectors)

    def _encode_passages(self, texts: list[str]) -> Matrix:
        return self._embedder.encode_passages(texts, batch_size=self.config.encode_batch_size)

    def _encode(
        self,
        texts: list[str],
        encode: Callable[[list[str]], Matrix],
        progress: ProgressCallback | None,
        encoders: ThreadPoolExecutor | None,
    ) -> Matrix:
        return encode_in_pieces(
            texts,
            encode,
            self._embedder.dimension,
            progress,
            None if encoders is None else encoders.map,
        )
