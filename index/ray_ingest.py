"""Ingest on a Ray cluster: the preparation runs on many machines, the commit on one.

The articles become a Ray Dataset of commit groups. Splitting, analysis and term extraction
run as Ray tasks; embedding runs in a pool of actors, each loading the model once; the
prepared groups stream back, in order, to the one writer (this process), which commits them
exactly as a local ingest does (``Corpus.add_prepared``): one SQLite transaction per group,
groups in order, the same lexicon. Each step is a function of index/preparation.py, so a Ray
ingest and a local ingest of the same articles store the same rows.

What stays on the writer: reading the inputs, the content-hash check, SQLite commits and the
in-memory indexes. Everything the model does runs on the actors.
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from index.article import Article
from index.corpus import CommittedCallback, Corpus
from index.embedding.embedder import Embedder, fingerprints_match
from index.errors import SetupError
from index.ingest import IngestConfig
from index.optional_imports import require
from index.passages import split_article
from index.preparation import (
    AnalysedArticle,
    PreparedGroup,
    analyse,
    commit_groups,
    embed_group,
)

logger = logging.getLogger(__name__)

LOCAL = "local"
# called once in each actor with its device: "cuda" where Ray gave the actor a GPU, else "cpu"
EmbedderFactory = Callable[[str], Embedder]
# CPUs an analysis task reserves: none. It is light beside the model's work, and a reservation
# starved it on a two-node cluster that lost a node: the actors Ray restarted on the remaining
# node took every CPU left, and the pipeline waited forever for its tasks
_TASK_CPUS = 0


class RayIngestError(SetupError):
    """The cluster could not prepare the articles; what was committed before stays."""


@dataclass(frozen=True)
class RayIngestOptions:
    # "local" starts a Ray on this machine; "auto" joins the cluster this machine is part
    # of; anything else is a cluster address ("ray://head:10001", "head:6379")
    address: str = LOCAL
    # model actors; 0 means one per ``cpus_per_actor`` CPUs of the cluster (one per GPU
    # where the cluster has GPUs)
    actors: int = 0
    cpus_per_actor: float = 1.0
    # a run that receives no prepared group for this long fails (with what it committed
    # kept) instead of waiting forever, e.g. for actors that no node has resources for
    stall_seconds: float = 600.0


def ray_ingest(
    corpus: Corpus,
    articles: Sequence[Article],
    embedder_factory: EmbedderFactory,
    options: RayIngestOptions,
    on_committed: CommittedCallback | None = None,
) -> list[str]:
    """Add or replace ``articles`` through a Ray cluster; returns the ids committed, in order.

    ``embedder_factory`` is pickled to every actor and called once there: it must build the
    same model as ``corpus.embedder`` (checked against the index's model fingerprint before
    anything of that actor is committed).
    """
    ray = require("ray", "iqtibas[ray]")
    started_here = _connect(ray, options)
    try:
        return corpus.add_prepared(
            _prepared_groups(ray, corpus, articles, embedder_factory, options),
            on_committed=on_committed,
        )
    finally:
        if started_here:
            ray.shutdown()


def default_actor_count(resources: dict[str, float], cpus_per_actor: float) -> int:
    """Model actors for the cluster's CPUs, leaving a tenth of them (at least one) to the
    analysis tasks and the writer, which the actors wait on."""
    cpus = resources.get("CPU", 1.0)
    spare = max(1.0, cpus / 10)
    return max(1, int((cpus - spare) // cpus_per_actor))


def _connect(ray: Any, options: RayIngestOptions) -> bool:
    """Connect to the cluster the options name; True when this call started a local Ray."""
    if ray.is_initialized():
        return False
    # Ray reads its own switches from the environment; this one keeps a user's air-gapped
    # cluster from trying to report usage statistics
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        if options.address == LOCAL:
            # "local" always starts a new Ray: with no address, ray.init joins a cluster that
            # `ray start` left recorded on this machine (even a dead one, and then hangs)
            ray.init(
                address="local",
                include_dashboard=False,
                logging_level=logging.WARNING,
                log_to_driver=False,
            )
        else:
            ray.init(address=options.address, logging_level=logging.WARNING, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise RayIngestError(
            f"could not connect to the Ray cluster at {options.address!r}: {error}. Start one "
            "with `ray start --head`, or pass --ray without an address for a local Ray."
        ) from error
    return True


def _prepared_groups(
    ray: Any,
    corpus: Corpus,
    articles: Sequence[Article],
    embedder_factory: EmbedderFactory,
    options: RayIngestOptions,
) -> Iterator[PreparedGroup]:
    config = corpus.config.ingest
    groups = commit_groups(articles, config.commit_every_articles)
    if not groups:
        return
    data = require("ray.data", "iqtibas[ray]")
    context = data.DataContext.get_current()
    # groups commit in input order, as a local ingest does: the lexicon keeps the word form
    # seen first, and a rerun after an interruption finds a prefix stored
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False  # the writer shows its own
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # its per-run notices too
    # terms already in the lexicon are not embedded again by any actor
    known_terms = ray.put(frozenset(corpus.lexicon_terms()) if config.build_lexicon else None)
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    actors = options.actors or gpus or default_actor_count(resources, options.cpus_per_actor)
    if not gpus and actors * options.cpus_per_actor > resources.get("CPU", 1.0):
        raise RayIngestError(
            f"{actors} model actor(s) of {options.cpus_per_actor:g} CPU(s) need more than the "
            f"cluster's {resources.get('CPU', 0):g} CPUs; ask for fewer actors (--ray-actors) "
            "or fewer CPUs each (--ray-cpus-per-actor)"
        )
    dataset = (
        data.from_items(
            [
                {"number": number, "group": pickle.dumps(group)}
                for number, group in enumerate(groups)
            ],
            override_num_blocks=len(groups),
        )
        .map(_AnalyseGroup(config), num_cpus=_TASK_CPUS)
        .map(
            _EmbedGroup,
            fn_constructor_kwargs={
                "embedder_factory": embedder_factory,
                "config": config,
                "known_terms": known_terms,
            },
            compute=data.ActorPoolStrategy(size=actors),
            num_cpus=options.cpus_per_actor,
            num_gpus=1 if gpus else 0,
        )
    )
    manifest = corpus.manifest
    try:
        for row in _rows_or_stall(dataset.iter_rows(), options.stall_seconds):
            fingerprint, dimension, group = pickle.loads(row["prepared"])
            if dimension != manifest.dimension or not fingerprints_match(
                manifest.model_fingerprint, fingerprint
            ):
                raise RayIngestError(
                    f"a Ray worker's model gives different vectors than the one that built "
                    f"the index ({manifest.model!r}); install the same model and settings on "
                    "every node. Nothing that worker prepared was committed."
                )
            yield group
    except ray.exceptions.RayError as error:
        raise RayIngestError(
            f"the Ray cluster failed while preparing articles: {error}. The groups committed "
            "before stay; run the same command again to add the rest."
        ) from error


def actor_device(gpu_ids: Sequence[object]) -> str:
    """The device of an actor that Ray gave these GPUs (it sets CUDA_VISIBLE_DEVICES to
    them, so the first visible one is the actor's)."""
    return "cuda" if gpu_ids else "cpu"


def _rows_or_stall(
    rows: Iterator[dict[str, Any]], stall_seconds: float
) -> Iterator[dict[str, Any]]:
    """``rows``, or a RayIngestError when none arrives for ``stall_seconds``."""
    handoff: queue.Queue[tuple[dict[str, Any] | None, BaseException | None]] = queue.Queue(2)

    def pump() -> None:
        try:
            for row in rows:
                handoff.put((row, None))
            handoff.put((None, None))
        except BaseException as error:
            handoff.put((None, error))

    threading.Thread(target=pump, name="iqtibas-ray-rows", daemon=True).start()
    while True:
        try:
            row, error = handoff.get(timeout=stall_seconds)
        except queue.Empty:
            raise RayIngestError(
                f"no prepared articles arrived from the Ray cluster for {stall_seconds:g} s: "
                "its nodes may lack the CPUs or GPUs the model actors ask for, or the actors "
                "fail to start (see the Ray logs). The groups committed before stay; run the "
                "same command again to add the rest."
            ) from None
        if error is not None:
            raise error
        if row is None:
            return
        yield row


class _AnalyseGroup:
    """The Ray task: a group's articles split into passages and their terms extracted (no
    model needed: it runs beside the actors)."""

    def __init__(self, config: IngestConfig) -> None:
        self._config = config

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        config = self._config
        articles: list[Article] = pickle.loads(row["group"])
        analysed = [
            analyse(
                split_article(article, config.chunking), config.embed_titles, config.build_lexicon
            )
            for article in articles
        ]
        return {"number": row["number"], "analysed": pickle.dumps(analysed)}


class _EmbedGroup:
    """The Ray actor: the model, loaded once, embeds a group's passages and its lexicon
    terms that may be new: those the index lacked when the ingest began and that this actor
    has not offered with an earlier group already (the writer, committing in order, keeps
    that earlier offer; a local ingest would have embedded the term there too)."""

    def __init__(
        self, embedder_factory: EmbedderFactory, config: IngestConfig, known_terms: Any
    ) -> None:
        ray = require("ray", "iqtibas[ray]")
        self._embedder = embedder_factory(actor_device(ray.get_gpu_ids()))
        self._fingerprint = self._embedder.fingerprint_vector()
        self._config = config
        self._known: frozenset[str] | None = (
            ray.get(known_terms) if isinstance(known_terms, ray.ObjectRef) else known_terms
        )
        # term -> the first group (in input order) this actor offered it with
        self._offered: dict[str, int] = {}

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        group: list[AnalysedArticle] = pickle.loads(row["analysed"])
        config = self._config
        number = int(row["number"])
        known, offered = self._known, self._offered
        prepared = embed_group(
            self._embedder,
            group,
            config.embed_titles,
            config.encode_batch_size,
            config.build_lexicon,
            # a term offered with an earlier group is the writer's already (unless the
            # lexicon was full then, when a local ingest would not embed it here either)
            None
            if known is None
            else lambda term: term not in known and offered.get(term, number) >= number,
        )
        if prepared.lexicon_candidates is not None:
            for term in prepared.lexicon_candidates.terms:
                offered[term] = min(offered.get(term, number), number)
        return {"prepared": pickle.dumps((self._fingerprint, self._embedder.dimension, prepared))}
