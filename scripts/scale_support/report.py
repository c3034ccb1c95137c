"""results.json, scale.png and report.md of scripts/bench_scale.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

TABLE_FIELDS = (
    ("articles", "articles"),
    ("chunks", "chunks"),
    ("sentences", "sentences"),
    ("lexicon_terms", "lexicon terms"),
    ("rss_mb", "RSS MB"),
    ("disk_mb", "disk MB"),
    ("open_s", "open s"),
    ("write_ms", "write ms"),
    ("delete_ms", "delete ms"),
    ("query_p50_ms", "query p50 ms"),
    ("query_p95_ms", "query p95 ms"),
    ("filtered_p50_ms", "1% filter p50 ms"),
    ("filtered_10pct_dates_p50_ms", "10% p50 ms"),
    ("filtered_90pct_dates_p50_ms", "90% p50 ms"),
    ("recall_at_10", "recall@10"),
    ("ingest_articles_per_s", "ingest articles/s"),
    ("reader_p95_idle_ms", "reader p95 idle ms"),
    ("reader_p95_during_writes_ms", "reader p95 writing ms"),
    ("reader_p95_during_process_writes_ms", "reader p95, other process writing, ms"),
    ("hit_checks_pass", "hit counts ok"),
    ("vector_factory", "vector index"),
)
PLOTS = (
    ("memory and disk (MB)", ("rss_mb", "disk_mb")),
    (
        "question latency (ms)",
        (
            "query_p50_ms",
            "query_p95_ms",
            "filtered_p50_ms",
            "filtered_10pct_dates_p50_ms",
            "filtered_90pct_dates_p50_ms",
        ),
    ),
    ("single-article write (ms)", ("write_ms", "delete_ms")),
    (
        "reader p95 (ms)",
        (
            "reader_p95_idle_ms",
            "reader_p95_during_writes_ms",
            "reader_p95_during_process_writes_ms",
        ),
    ),
    ("ingest (articles/s)", ("ingest_articles_per_s",)),
    ("recall@10 and open (s)", ("recall_at_10", "open_s")),
)
TARGET = 1_000_000


def linear_fit(rows: list[dict[str, Any]], field: str) -> tuple[float, float] | None:
    """(per-article slope, intercept) of ``field`` against articles, least squares."""
    points = [(r["articles"], r[field]) for r in rows if r.get(field) is not None]
    if len(points) < 2:
        return None
    x, y = np.array(points, dtype=np.float64).T
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "-" if value is None else str(value)


def extrapolation(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        f"## Extrapolation to {TARGET:,} articles (linear least-squares fit over the sizes)",
        "",
    ]
    for field, label, unit in (("rss_mb", "RSS", "MB"), ("disk_mb", "disk", "MB")):
        fit = linear_fit(rows, field)
        if fit is None:
            lines.append(f"- {label}: needs two sizes")
            continue
        slope, intercept = fit
        lines.append(
            f"- {label}: {slope * 1024:.2f} KB per article + {intercept:.0f} {unit}; at "
            f"{TARGET:,} articles {(intercept + slope * TARGET) / 1024:.2f} GB"
        )
        if len(rows) >= 3 and rows[-1].get(field) is not None and rows[-2].get(field) is not None:
            growth = (rows[-1][field] - rows[-2][field]) / (
                rows[-1]["articles"] - rows[-2]["articles"]
            )
            at_target = rows[-1][field] + growth * (TARGET - rows[-1]["articles"])
            lines.append(
                f"  - marginal growth between the two largest sizes: {growth * 1024:.2f} KB per "
                f"article; at {TARGET:,} articles {at_target / 1024:.2f} GB"
            )
    return [*lines, ""]


def acceptance(rows: list[dict[str, Any]]) -> list[str]:
    """Issue 10's acceptance criteria at the largest size, against the smallest."""
    if len(rows) < 2:
        return []
    first, last = rows[0], rows[-1]

    def value(row: dict[str, Any], field: str) -> float:
        found = row.get(field)
        return float("nan") if found is None else float(found)

    rss, disk = linear_fit(rows, "rss_mb"), linear_fit(rows, "disk_mb")
    checks = [
        ("single-article write <= 250 ms", value(last, "write_ms"), value(last, "write_ms") <= 250),
        (
            f"write <= 2x the {first['articles']:,}-article figure",
            value(last, "write_ms") / value(first, "write_ms"),
            value(last, "write_ms") <= 2 * value(first, "write_ms"),
        ),
        ("question p50 <= 50 ms", value(last, "query_p50_ms"), value(last, "query_p50_ms") <= 50),
        (
            "1% filter p50 <= 100 ms",
            value(last, "filtered_p50_ms"),
            value(last, "filtered_p50_ms") <= 100,
        ),
        ("cold open <= 10 s", value(last, "open_s"), value(last, "open_s") <= 10),
        (
            "reader p95 during writes / idle <= 2",
            value(last, "reader_p95_during_writes_ms") / value(last, "reader_p95_idle_ms"),
            value(last, "reader_p95_during_writes_ms") <= 2 * value(last, "reader_p95_idle_ms"),
        ),
        ("recall@10 >= 0.95", value(last, "recall_at_10"), value(last, "recall_at_10") >= 0.95),
        (
            f"ingest >= 80% of the {first['articles']:,}-article rate",
            value(last, "ingest_articles_per_s") / value(first, "ingest_articles_per_s"),
            value(last, "ingest_articles_per_s") >= 0.8 * value(first, "ingest_articles_per_s"),
        ),
        (
            "hit counts at 1/10/90% correct",
            float(bool(last.get("hit_checks_pass"))),
            bool(last.get("hit_checks_pass")),
        ),
    ]
    if rss is not None and disk is not None:
        rss_gb = (rss[1] + rss[0] * TARGET) / 1024
        checks.append((f"RSS at {TARGET:,} articles <= 8 GB (GB)", rss_gb, rss_gb <= 8))
        checks.append(("disk <= 60 KB per article (KB)", disk[0] * 1024, disk[0] * 1024 <= 60))
    lines = [
        f"## Acceptance (issue 10) at {last['articles']:,} articles",
        "",
        "| criterion | measured | met |",
        "|---|---|---|",
    ]
    lines += [
        f"| {name} | {measured:,.3f} | {'yes' if met else 'NO'} |" for name, measured, met in checks
    ]
    return [*lines, ""]


def write_plot(out: Path, rows: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 3, figsize=(15, 8))
    sizes = [r["articles"] for r in rows]
    for axis, (title, fields) in zip(axes.flat, PLOTS, strict=True):
        for field in fields:
            values = [r.get(field) for r in rows]
            if any(v is not None for v in values):
                axis.plot(sizes, [np.nan if v is None else v for v in values], "o-", label=field)
        axis.set_xscale("log")
        axis.set_title(title)
        axis.set_xlabel("articles")
        axis.legend(fontsize=7)
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(out / "scale.png", dpi=110)
    plt.close(figure)


def write_outputs(
    out: Path, rows: list[dict[str, Any]], command: str, vectors: dict[str, float]
) -> None:
    (out / "results.json").write_text(
        json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    write_plot(out, rows)
    header = "| " + " | ".join(label for _, label in TABLE_FIELDS) + " |"
    lines = [
        "# Scale benchmark",
        "",
        f"Reproduce: `{command}`",
        "",
        "Synthetic Arabic articles (scripts/scale_support/articles.py), hashing embedder at "
        "384 dimensions; one index directory grown size by size. Per size: a fresh process "
        "opens the index (page cache warm) and measures; times are Answerer.ask took_ms "
        "(encode excluded: the hashing encode is ~0.1 ms), one FAISS/BLAS thread. recall@10: "
        "the corpus's vector configuration at that chunk count on noisy copies of real e5 "
        f"vectors (sigma {vectors['sigma']:.3f}, copy-to-source cosine "
        f"{vectors['target_cosine']:.3f}), real question vectors, vs exact search.",
        "",
        header,
        "|" + "---|" * len(TABLE_FIELDS),
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(field)) for field, _ in TABLE_FIELDS) + " |")
    lines += ["", *extrapolation(rows), *acceptance(rows)]
    lines += ["![fields against articles](scale.png)", ""]
    (out / "report.md").write_text("\n".join(lines), encoding="utf-8")
