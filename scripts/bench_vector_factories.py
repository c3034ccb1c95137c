"""Benchmark (not a test): FAISS factory strings for the chunk vectors, on real-structure data.

Measures, for each factory string and search setting, on ``--vectors`` noisy copies of real
multilingual-e5-small passage vectors (see scale_support/synthetic_vectors.py; never uniform
random) queried with real XQuAD/ARCD question vectors:
- train time on a ``--train-sample`` sample, add time per 1,000 vectors (bulk, default
  threads), remove time for 7 ids (one article's chunks; IVF with a hash-table direct map, as
  index/vector_index.py; HNSW cannot remove);
- bytes per vector in RAM (serialised index size / vectors; the fp16 re-rank copy, 768 bytes
  a vector at d=384, is not included: the corpus keeps it in its store);
- recall@10 against exact fp32 search: of the index alone, and after an exact re-rank of the
  top ``rerank`` candidates with fp16-rounded vectors;
- search p50/p95 ms for one query on one thread (faiss.omp_set_num_threads(1)): the
  approximate search for ``rerank`` candidates plus the re-rank (in-memory fp16 rows).

Writes results.json (one object per factory and setting) and report.md under --out, updated
after each factory.

Usage: python scripts/bench_vector_factories.py [--vectors 200000] [--out DIR]
The full run: --vectors 1300000 (about 7M chunks is 1M articles; 1.3M is 200k articles).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_support.real_vectors import DEFAULT_CACHE, load_or_compute
from scale_support.synthetic_vectors import (
    Matrix,
    NoiseModel,
    exact_top_k,
    recall,
    rerank,
    similarity_profile,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FACTORIES = (
    "Flat",
    "HNSW32",
    "IVF512,SQ8",
    "IVF1024,SQ8",
    "IVF2048,SQ8",
    "IVF4096,SQ8",
    "IVF1024,PQ48",
    "IVF1024,PQ96",
    "IVF4096,PQ48",
    "IVF4096,PQ96",
)
K = 10


@dataclass
class Row:
    factory: str
    vectors: int
    setting: str  # "nprobe=16", "efSearch=64" or "-"
    rerank: int  # 0: the index's own top 10
    recall_at_10: float
    search_p50_ms: float
    search_p95_ms: float
    train_s: float
    add_s_per_1k: float
    remove_ms: float | None
    bytes_per_vector: float


def parse_ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def build(factory: str, data: Matrix, sample: Matrix) -> tuple[Any, float, float]:
    """The trained, filled index (IDMap2 where the factory has no ids of its own)."""
    inner = faiss.index_factory(data.shape[1], factory, faiss.METRIC_INNER_PRODUCT)
    ivf = faiss.try_extract_index_ivf(inner)
    if ivf is not None:  # as index/vector_index.py: removal without scanning every list
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
    index = inner if ivf is not None else faiss.IndexIDMap2(inner)
    started = time.perf_counter()
    if not index.is_trained:
        index.train(sample)
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    for begin in range(0, len(data), 100_000):
        block = data[begin : begin + 100_000]
        index.add_with_ids(block, np.arange(begin, begin + len(block), dtype=np.int64))
    add_s = time.perf_counter() - started
    return index, train_s, add_s


def settings_of(factory: str, index: Any, nprobes: list[int]) -> list[tuple[str, Any]]:
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        return [(f"nprobe={n}", ("nprobe", n)) for n in nprobes if n <= ivf.nlist]
    if "HNSW" in factory:
        return [(f"efSearch={e}", ("efSearch", e)) for e in (64, 128, 256)]
    return [("-", None)]


def apply_setting(index: Any, setting: Any) -> None:
    if setting is None:
        return
    name, value = setting
    if name == "nprobe":
        faiss.extract_index_ivf(index).nprobe = value
    else:
        faiss.downcast_index(index.index).hnsw.efSearch = value


def remove_ms(factory: str, index: Any, count: int) -> float | None:
    if "HNSW" in factory:
        return None  # IndexHNSW does not support remove_ids
    ids = np.arange(index.ntotal - count, index.ntotal, dtype=np.int64)
    started = time.perf_counter()
    index.remove_ids(ids)
    return (time.perf_counter() - started) * 1000


def timed_queries(
    index: Any, queries: Matrix, stored: np.ndarray, depth: int
) -> tuple[float, float]:
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    times: list[float] = []
    for query in queries:
        started = time.perf_counter()
        _, ids = index.search(query.reshape(1, -1), max(depth, K))
        if depth:
            rerank(ids[0], query, stored, K)
        times.append((time.perf_counter() - started) * 1000)
    faiss.omp_set_num_threads(threads)
    ordered = sorted(times)
    return statistics.median(times), ordered[int(0.95 * (len(ordered) - 1))]


def measure_factory(
    factory: str,
    data: Matrix,
    stored: np.ndarray,
    queries: Matrix,
    truth: np.ndarray,
    arguments: argparse.Namespace,
) -> list[Row]:
    sample = data[: arguments.train_sample]
    index, train_s, add_s = build(factory, data, sample)
    bytes_per_vector = faiss.serialize_index(index).size / len(data)
    print(f"{factory}: train {train_s:.1f} s, add {add_s:.1f} s, {bytes_per_vector:.0f} B/vector")
    rows: list[Row] = []
    timing_queries = queries[: arguments.timing_queries]
    for label, setting in settings_of(factory, index, parse_ints(arguments.nprobe)):
        apply_setting(index, setting)
        depths = [0] if factory == "Flat" else [0, *parse_ints(arguments.rerank)]
        _, candidates = index.search(queries, max(max(depths), K))
        for depth in depths:
            if depth:
                found = [
                    rerank(c[:depth], q, stored, K)
                    for c, q in zip(candidates, queries, strict=True)
                ]
            else:
                found = [c[:K] for c in candidates]
            p50, p95 = timed_queries(index, timing_queries, stored, depth)
            row = Row(
                factory,
                len(data),
                label,
                depth,
                round(recall(found, truth), 4),
                round(p50, 3),
                round(p95, 3),
                round(train_s, 2),
                round(add_s / len(data) * 1000, 4),
                None,
                round(bytes_per_vector, 1),
            )
            rows.append(row)
            print(
                f"  {label:>12} rerank {depth:>3}: recall@10 {row.recall_at_10:.4f}, "
                f"p50 {p50:.2f} ms, p95 {p95:.2f} ms",
                flush=True,
            )
    removed = remove_ms(factory, index, 7)
    for row in rows:
        row.remove_ms = None if removed is None else round(removed, 2)
    return rows


def write_report(out: Path, rows: list[Row], context: dict[str, Any], command: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    payload = {"context": context, "results": [asdict(r) for r in rows]}
    (out / "results.json").write_text(json.dumps(payload, indent=1), encoding="utf-8")
    lines = [
        "# FAISS factory strings for the chunk vectors",
        "",
        f"Reproduce: `{command}`",
        "",
        f"{context['vectors']:,} noisy copies of {context['real_passages']:,} real "
        f"multilingual-e5-small passage vectors (d={context['dimension']}), "
        f"{context['queries']} real question vectors; ground truth: exact fp32 top 10. "
        f"Noise: Gaussian with the data covariance, sigma {context['sigma']:.3f} "
        f"({context.get('sigma_scale', 1.0)} x the value at which a copy's mean cosine to its "
        f"source equals the real median nearest-neighbour cosine, "
        f"{context['target_cosine']:.3f}). Question-to-neighbour cosines (median, rank "
        f"1/10/100): real (2,902 passages) {context['profile_real']}, synthetic "
        f"{context['profile_synthetic']}. The noise is full-rank, so local neighbourhoods are "
        "higher-dimensional than real ones are likely to be: recall here is probably "
        "pessimistic (an assumption, not measured).",
        "",
        f"Machine: {context.get('machine', 'not recorded')}.",
        "",
        "Search: one query, one thread, approximate search for `rerank` candidates then exact "
        "re-rank with fp16 vectors held in RAM (rerank 0: the index's own top 10). Train on "
        f"{context['train_sample']:,} vectors; add timed in bulk on "
        f"{context['threads']} threads; remove: 7 ids.",
        "",
        "| factory | setting | rerank | recall@10 | p50 ms | p95 ms | train s | add s/1k "
        "| remove ms | bytes/vector |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        removed = "n/a" if r.remove_ms is None else f"{r.remove_ms:.1f}"
        lines.append(
            f"| {r.factory} | {r.setting} | {r.rerank} | {r.recall_at_10:.4f} "
            f"| {r.search_p50_ms:.2f} | {r.search_p95_ms:.2f} | {r.train_s:.1f} "
            f"| {r.add_s_per_1k:.3f} | {removed} | {r.bytes_per_vector:.0f} |"
        )
    lines += ["", *summary(rows)]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def summary(rows: list[Row], target: float = 0.95) -> list[str]:
    """Per factory, the fastest setting that reaches ``target`` recall@10."""
    lines = [
        f"## Fastest setting per factory reaching recall@10 >= {target}",
        "",
        "| factory | setting | rerank | recall@10 | p50 ms | bytes/vector | add s/1k | remove ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for factory in dict.fromkeys(r.factory for r in rows):
        passing = [r for r in rows if r.factory == factory and r.recall_at_10 >= target]
        if not passing:
            best = max((r for r in rows if r.factory == factory), key=lambda r: r.recall_at_10)
            lines.append(
                f"| {factory} | none (best {best.recall_at_10:.4f} at {best.setting}, "
                f"rerank {best.rerank}) | | | | | | |"
            )
            continue
        r = min(passing, key=lambda r: r.search_p50_ms)
        removed = "n/a" if r.remove_ms is None else f"{r.remove_ms:.1f}"
        lines.append(
            f"| {factory} | {r.setting} | {r.rerank} | {r.recall_at_10:.4f} "
            f"| {r.search_p50_ms:.2f} | {r.bytes_per_vector:.0f} | {r.add_s_per_1k:.3f} "
            f"| {removed} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=500, help="questions for recall")
    parser.add_argument("--timing-queries", type=int, default=100)
    parser.add_argument("--train-sample", type=int, default=100_000)
    parser.add_argument("--factories", default=";".join(DEFAULT_FACTORIES), help="';'-separated")
    parser.add_argument("--nprobe", default="8,16,24,32,64")
    parser.add_argument("--rerank", default="50,64,100,200")
    parser.add_argument("--seed", type=int, default=20250131)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--out", type=Path, default=ROOT / "eval/reports/scale/factories")
    parser.add_argument(
        "--sigma-scale", type=float, default=1.0, help="noise sensitivity: sigma times this"
    )
    parser.add_argument("--report-only", action="store_true", help="re-render OUT/report.md")
    arguments = parser.parse_args()
    command = "python scripts/bench_vector_factories.py " + " ".join(sys.argv[1:])
    if arguments.report_only:
        saved = json.loads((arguments.out / "results.json").read_text(encoding="utf-8"))
        known = {f.name for f in fields(Row)}
        rows = [Row(**{k: v for k, v in row.items() if k in known}) for row in saved["results"]]
        write_report(
            arguments.out, rows, saved["context"], saved["context"].get("command", command)
        )
        return

    real = load_or_compute(arguments.cache)
    model = NoiseModel.fit(real.passages)
    model = model.with_sigma(model.sigma * arguments.sigma_scale)
    data = model.generate(arguments.vectors, arguments.seed)
    stored = data.astype(np.float16)
    rng = np.random.default_rng(arguments.seed)
    queries = real.questions[rng.permutation(len(real.questions))[: arguments.queries]]
    started = time.perf_counter()
    truth = exact_top_k(data, queries, K)
    print(f"{len(data):,} vectors; exact ground truth in {time.perf_counter() - started:.1f} s")
    context = {
        "vectors": len(data),
        "dimension": data.shape[1],
        "real_passages": len(real.passages),
        "queries": len(queries),
        "train_sample": min(arguments.train_sample, len(data)),
        "threads": faiss.omp_get_max_threads(),
        "sigma": model.sigma,
        "sigma_scale": arguments.sigma_scale,
        "target_cosine": model.target_cosine,
        "profile_real": similarity_profile(real.passages, queries, (1, 10, 100)),
        "profile_synthetic": similarity_profile(data, queries, (1, 10, 100)),
        "faiss": faiss.__version__,
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start",
        "command": command,
    }
    print(context, flush=True)
    rows: list[Row] = []
    for factory in arguments.factories.split(";"):
        rows += measure_factory(factory, data, stored, queries, truth, arguments)
        write_report(arguments.out, rows, context, command)


if __name__ == "__main__":
    main()
