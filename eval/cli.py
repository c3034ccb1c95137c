"""The ``iqtibas eval`` command: measure retrieval, quoting, abstention and latency."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from eval.backends import Backend
from eval.calibration_report import (
    CalibrationError,
    Sample,
    calibrate,
    render_text,
    samples_from_file,
    samples_from_result,
    write_calibration,
)
from eval.configurations import (
    DEFAULT_COMPARISON,
    PRESETS,
    Configuration,
    ConfigurationError,
    parse_configurations,
)
from eval.datasets import (
    ARCHIVE,
    DATASETS,
    DEFAULT_DISTRACTORS,
    DEVELOPMENT_DATASETS,
    DISTRACTORS,
    DatasetError,
    default_data_dir,
    load_dataset,
)
from eval.gold import GoldFormatError
from eval.report import headline_table, write_report
from eval.results_file import ResultsFileError, read_results
from eval.runner import DatasetResult, run_dataset
from eval.server_client import ServerBackend, ServerError
from eval.squad import HOLDBACK_FRACTION
from index.answerer import AnswerConfig
from service.settings import Settings

REPORTS_DIR = Path("eval") / "reports"
EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1


class EvalUsageError(ValueError):
    """Bad options: printed as a message, exit status 2."""


def add_eval_command(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "eval",
        help="measure answer quality on a gold set or development data",
        description="Index a dataset into a fresh index, ask its questions under one or more "
        "retrieval configurations, and write results.json, report.md and PNG plots.",
    )
    parser.add_argument(
        "datasets", nargs="*", metavar="DATASET", help=f"one of {', '.join(DATASETS)}"
    )
    parser.add_argument(
        "--config",
        action="append",
        dest="configurations",
        metavar="NAME[:field=value,...]",
        help=f"a preset ({', '.join(PRESETS)}) or NAME:field=value,... of AnswerConfig, "
        "dotted for nested (quotes.sentence_weight=0.5); repeat to compare; "
        f"default: {' '.join(DEFAULT_COMPARISON)}",
    )
    parser.add_argument(
        "--distractors",
        help=f"comma-separated corpora indexed alongside ({', '.join(DISTRACTORS)}), or none, "
        f"or {ARCHIVE}: the seed and every development corpus in one index (held-back "
        "paragraphs left out), the same for every dataset; "
        f"default: {_default_distractors_text()}, others none",
    )
    parser.add_argument("--limit", type=int, help="ask only N questions (a fixed sample)")
    parser.add_argument("--top-k", type=int, default=3, help="quotes per answer (at least 3)")
    parser.add_argument(
        "--abstain-threshold", type=float, help="override the abstain_threshold setting"
    )
    parser.add_argument("--out", type=Path, help="output folder (default eval/reports/DATASET)")
    parser.add_argument("--data-dir", type=Path, help="development data (default shared/data)")
    parser.add_argument(
        "--holdback",
        type=float,
        default=HOLDBACK_FRACTION,
        help="share of SQuAD paragraphs held back as the source of unanswerable questions",
    )
    parser.add_argument("--index-cache", type=Path, help="keep and reuse built indexes here")
    parser.add_argument("--server", metavar="URL", help="evaluate a running server instead")
    parser.add_argument("--api-key", help="bearer key for --server")
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="choose the abstention threshold on development data (default datasets: "
        f"{', '.join(DEVELOPMENT_DATASETS)}); prints the threshold and the curve",
    )
    parser.add_argument(
        "--from-results",
        type=Path,
        nargs="+",
        metavar="RESULTS_JSON",
        help="use saved results.json files instead of running: with --calibrate to calibrate "
        "on them, alone to render their reports again",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler=run_eval_command)


def _default_distractors_text() -> str:
    return ", ".join(
        f"{name}: {'+'.join(corpora)}" for name, corpora in DEFAULT_DISTRACTORS.items()
    )


def run_eval_command(arguments: argparse.Namespace, settings: Settings) -> int:
    try:
        if arguments.calibrate:
            return _calibrate(arguments, settings)
        return _evaluate(arguments, settings)
    except (
        EvalUsageError,
        ConfigurationError,
        DatasetError,
        GoldFormatError,
        CalibrationError,
        ResultsFileError,
    ) as error:
        print(f"iqtibas eval: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ServerError, httpx.HTTPError) as error:
        print(f"iqtibas eval: error: the server failed: {error}", file=sys.stderr)
        return EXIT_FAILURE


def _evaluate(arguments: argparse.Namespace, settings: Settings) -> int:
    if arguments.from_results:
        return _render_saved(arguments)
    if not arguments.datasets:
        raise EvalUsageError(f"name a dataset: {', '.join(DATASETS)}")
    for dataset, result in _run(arguments, settings, arguments.datasets):
        folder = _output_folder(arguments, dataset)
        written = write_report(result, folder, settings.model, command_line(arguments))
        print("\n".join(headline_table(result)))
        print(f"Wrote {', '.join(str(path) for path in written.values())}")
    return 0


def _render_saved(arguments: argparse.Namespace) -> int:
    """Write the report of saved runs again (after a change to the report), asking nothing."""
    if arguments.datasets:
        raise EvalUsageError("give datasets or --from-results, not both")
    if arguments.out is not None and len(arguments.from_results) > 1:
        raise EvalUsageError("--out takes one results file; without it each is rendered in place")
    for path in arguments.from_results:
        saved = read_results(path)
        folder = arguments.out or path.parent
        written = write_report(saved.result, folder, saved.model, saved.command, saved.generated)
        print(f"Wrote {', '.join(str(p) for p in written.values())}")
    return 0


def _calibrate(arguments: argparse.Namespace, settings: Settings) -> int:
    samples: list[Sample] = []
    if arguments.from_results:
        if arguments.datasets:
            raise EvalUsageError("give datasets or --from-results, not both")
        for path in arguments.from_results:
            samples += samples_from_file(path)
    else:
        datasets = arguments.datasets or list(DEVELOPMENT_DATASETS)
        refused = [d for d in datasets if d not in DEVELOPMENT_DATASETS]
        if refused:
            raise CalibrationError(
                f"calibration uses development data only ({', '.join(DEVELOPMENT_DATASETS)}), "
                f"not {', '.join(refused)}: the seed gold set is held out"
            )
        for _, result in _run(arguments, settings, datasets):
            samples += samples_from_result(result)
    calibrations = calibrate(samples)
    print(render_text(calibrations))
    folder = arguments.out or REPORTS_DIR / "calibration"
    written = write_calibration(calibrations, folder, command_line(arguments), settings.model)
    print(f"Wrote {', '.join(str(path) for path in written.values())}")
    return 0


def _run(
    arguments: argparse.Namespace, settings: Settings, datasets: list[str]
) -> Iterator[tuple[str, DatasetResult]]:
    """Each dataset's result as soon as it is done, so that a report is written before the
    next dataset starts."""
    if arguments.top_k < 3:
        raise EvalUsageError("--top-k must be at least 3: hit@3 is measured")
    if arguments.limit is not None and arguments.limit < 1:
        raise EvalUsageError("--limit must be at least 1")
    unknown = [d for d in datasets if d not in DATASETS]
    if unknown:
        raise EvalUsageError(f"unknown dataset {', '.join(unknown)}; choose from {DATASETS}")
    configurations = _configurations(arguments)
    base = _base_config(arguments, settings)
    data_dir = arguments.data_dir or default_data_dir()
    distractors = _distractors(arguments.distractors)
    loaded = [
        load_dataset(d, data_dir, settings.seeds_dir, distractors, holdback=arguments.holdback)
        for d in datasets
    ]  # every dataset is read and checked before the model loads or anything is indexed
    backend = _backend(arguments, settings)
    try:
        for dataset in loaded:
            result = run_dataset(
                dataset,
                backend,
                configurations,
                base,
                top_k=arguments.top_k,
                limit=arguments.limit,
                show_progress=not arguments.quiet,
            )
            yield dataset.name, result
    finally:
        backend.close()


def _configurations(arguments: argparse.Namespace) -> list[Configuration]:
    if arguments.server:
        if arguments.configurations:
            raise EvalUsageError(
                "--config cannot be used with --server: the server answers with its own settings"
            )
        return [Configuration("server")]
    return parse_configurations(arguments.configurations or list(DEFAULT_COMPARISON))


def _base_config(arguments: argparse.Namespace, settings: Settings) -> AnswerConfig:
    from service.bootstrap import answer_config

    base = answer_config(settings)
    if arguments.abstain_threshold is not None:
        return Configuration(
            "threshold", (("abstain_threshold", str(arguments.abstain_threshold)),)
        ).apply(base)
    return base


def _distractors(option: str | None) -> list[str] | None:
    if option is None:
        return None
    names = [n.strip() for n in option.split(",") if n.strip()]
    if names == ["none"]:
        return []
    if names == [ARCHIVE]:
        return names
    unknown = [n for n in names if n not in DISTRACTORS]
    if unknown:
        raise EvalUsageError(
            f"unknown distractor corpus {', '.join(unknown)}; choose from "
            f"{', '.join(DISTRACTORS)}, or {ARCHIVE} (alone) or none"
        )
    return names


def _backend(arguments: argparse.Namespace, settings: Settings) -> Backend:
    if arguments.server:
        return ServerBackend(arguments.server, arguments.api_key)
    from eval.in_process import InProcessBackend
    from service.bootstrap import configured_embedder, corpus_config, limit_threads

    # the same thread limits as the service, so that latency means what it means there
    limit_threads(settings.torch_threads)
    embedder = configured_embedder(settings)
    return InProcessBackend(
        embedder, corpus_config(settings), arguments.index_cache, not arguments.quiet
    )


def _output_folder(arguments: argparse.Namespace, dataset: str) -> Path:
    out: Path | None = arguments.out
    if out is None:
        return REPORTS_DIR / dataset
    return out if len(arguments.datasets) == 1 else out / dataset


def command_line(arguments: argparse.Namespace) -> str:
    """The command that reproduces this run: the API key and the index cache (which changes
    nothing but speed) are left out."""
    words = ["iqtibas", "eval", *arguments.datasets]
    options: list[tuple[str, object]] = [
        ("--distractors", arguments.distractors),
        ("--limit", arguments.limit),
        ("--abstain-threshold", arguments.abstain_threshold),
        ("--out", arguments.out),
        ("--data-dir", arguments.data_dir),
        ("--server", arguments.server),
    ]
    for flag, value in options:
        if value is not None:
            words += [flag, str(value)]
    for configuration in arguments.configurations or []:
        words += ["--config", configuration]
    if arguments.top_k != 3:
        words += ["--top-k", str(arguments.top_k)]
    if arguments.holdback != HOLDBACK_FRACTION:
        words += ["--holdback", str(arguments.holdback)]
    if arguments.calibrate:
        words.append("--calibrate")
    if arguments.from_results:
        words += ["--from-results", *map(str, arguments.from_results)]
    if arguments.api_key:
        words += ["--api-key", "..."]
    return shlex.join(words)
