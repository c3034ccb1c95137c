"""Build the index objects from settings; a new index is seeded from ``seeds/``."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from index.answerer import AnswerConfig, Answerer
from index.article import Article
from index.corpus import Corpus, CorpusConfig, ProgressCallback
from index.embedding.backends import TORCH_BF16
from index.embedding.embedder import Embedder
from index.embedding.sentence_transformer import load_embedder
from index.lexicon import TranslationConfig
from index.optional_imports import require
from index.quotes import QuoteConfig
from index.read_only_corpus import ReadOnlyCorpus, require_index
from index.retrieval.candidates import RetrievalConfig
from index.seeds import read_seeds
from index.vector_index import cap_search_threads
from service.settings import Settings

logger = logging.getLogger(__name__)
SEEDED_KEY = "seeded"


def corpus_config(settings: Settings) -> CorpusConfig:
    return settings.index.corpus_config()


def answer_config(settings: Settings) -> AnswerConfig:
    translation = (
        TranslationConfig(
            min_similarity=settings.translation_min_similarity,
            transliterate=settings.transliterate_names,
            max_words=settings.max_translated_words,
        )
        if settings.translate_query_words
        else None
    )
    return AnswerConfig(
        retrieval=RetrievalConfig(
            dense_chunks=settings.retrieval_dense_chunks,
            lexical_chunks=settings.retrieval_lexical_chunks,
            dense_weight=settings.retrieval_dense_weight,
            feedback_chunks=settings.retrieval_feedback_chunks,
        ),
        quotes=QuoteConfig(
            sentence_weight=settings.quote_sentence_weight,
            chunk_weight=settings.quote_chunk_weight,
            lexical_weight=settings.quote_lexical_weight,
            pair_margin=settings.quote_pair_margin,
            article_pair_margin=settings.quote_article_pair_margin,
        ),
        translation=translation,
        quote_chunks=settings.quote_chunks,
        ranking=settings.ranking,
        abstention=settings.abstention,
        abstain_threshold=settings.abstain_threshold,
        abstain_threshold_latin=settings.abstain_threshold_latin,
        max_question_characters=settings.question_characters_read,
        english_query_shift=settings.english_query_shift,
    )


@contextlib.contextmanager
def progress_bar(
    total: int, description: str, enabled: bool = True, unit: str = "passage"
) -> Iterator[ProgressCallback]:
    """A tqdm bar on stderr, as a callback that advances it."""
    from tqdm import tqdm

    with tqdm(total=total, desc=description, unit=unit, disable=not enabled) as bar:
        yield bar.update


def add_with_progress(
    corpus: Corpus, articles: Sequence[Article], description: str, show_progress: bool
) -> list[str]:
    with progress_bar(corpus.passage_count(articles), description, show_progress) as advance:
        return corpus.add(articles, progress=advance)


def limit_threads(threads: int) -> None:
    """Cap torch and every BLAS and OpenMP pool at ``threads`` (0 leaves them alone).

    Capping torch alone is not enough: numpy's BLAS keeps its own pool, which spins for a
    while after each product (the lexicon lookup), and on 2 cores that made the next
    question's forward pass twice as slow.
    """
    if threads > 0:
        import torch  # imported here: nothing else needs torch before the model loads

        torch.set_num_threads(threads)
        # threadpoolctl caps only the libraries loaded so far: FAISS brings its own
        require("faiss", "faiss-cpu")
        require("threadpoolctl").threadpool_limits(limits=threads)
        # and only in this thread for OpenMP, whose count is per thread
        cap_search_threads(threads)


def configured_embedder(settings: Settings) -> Embedder:
    """The embedding model as the settings describe it (model, backend, caches)."""
    return embedder_factory(settings)("cpu")


def embedder_factory(settings: Settings) -> Callable[[str], Embedder]:
    """A picklable call that loads the configured model on a device, for other processes
    and machines (Ray actors): it carries the model settings only, no keys."""
    return functools.partial(
        load_embedder_on,
        settings.model,
        settings.model_cache_dir,
        settings.word_cache_size,
        settings.embedding_backend,
    )


def load_embedder_on(
    model: str, cache_dir: Path, word_cache_size: int, backend: str, device: str
) -> Embedder:
    """The model on ``device``: the configured backend on the CPU; on a GPU, torch in bf16
    (the OpenVINO backend runs on CPUs only)."""
    return load_embedder(
        model,
        cache_dir,
        device=device,
        word_cache_size=word_cache_size,
        backend=backend if device == "cpu" else TORCH_BF16,
    )


def open_corpus(settings: Settings, show_progress: bool = True) -> Corpus:
    """The configured index; a new one is seeded. With IQTIBAS_READ_ONLY, an existing index
    opened read-only (never seeded, never written), checked before the model loads."""
    if settings.read_only:
        require_index(settings.data_dir)
    limit_threads(settings.torch_threads)
    embedder = configured_embedder(settings)
    if settings.read_only:
        return ReadOnlyCorpus(settings.data_dir, embedder, corpus_config(settings))
    corpus = Corpus(settings.data_dir, embedder, corpus_config(settings))
    if corpus.get_meta(SEEDED_KEY) is None:
        if corpus.counts().articles == 0 and settings.seeds_dir.is_dir():
            seeds = read_seeds(settings.seeds_dir)
            logger.info("new index: ingesting %d seed article(s)", len(seeds))
            add_with_progress(corpus, seeds, "Indexing seed articles", show_progress)
        corpus.set_meta({SEEDED_KEY: "1"})
    return corpus


def open_answerer(settings: Settings, show_progress: bool = True) -> Answerer:
    return Answerer(open_corpus(settings, show_progress), answer_config(settings))
