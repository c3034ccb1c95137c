"""What `iqtibas snapshot` costs and what it buys a replica: the time to copy an index while a
writer keeps ingesting into it, the copy's size, and how long a read-only replica takes to open
the copy (from its vector snapshot) against rebuilding the vectors from the store.

The index is the scale benchmark's (synthetic Arabic articles, hashing embedder at 384
dimensions, scale_support/), so the times are the index's, not the model's.

    python scripts/bench_snapshot.py --articles 20000 --out eval/reports/snapshot
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's index/, whatever is installed
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_support.articles import ArticleGenerator  # noqa: E402
from scale_support.hashing import HashingEmbedder  # noqa: E402

from index.corpus import Corpus, CorpusConfig  # noqa: E402
from index.read_only_corpus import ReadOnlyCorpus  # noqa: E402
from index.snapshot import snapshot_index  # noqa: E402


def _size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.iterdir() if path.is_file())


def _open_seconds(directory: Path, config: CorpusConfig) -> tuple[float, int]:
    started = time.perf_counter()
    replica = ReadOnlyCorpus(directory, HashingEmbedder(), config)
    vectors = replica.vector_count()
    seconds = time.perf_counter() - started
    replica.close()
    return seconds, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--during", type=int, default=2_000, help="articles ingested meanwhile")
    parser.add_argument("--work", type=Path, default=None, help="scratch directory")
    parser.add_argument("--out", type=Path, default=None, help="folder for result.json")
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-snapshot-", dir=arguments.work))
    config = CorpusConfig()
    generator = ArticleGenerator.from_development_sets(seed=0)
    source = work / "index"
    try:
        writer = Corpus(source, HashingEmbedder(), config)
        started = time.perf_counter()
        writer.add(list(generator.articles(0, arguments.articles)))
        writer.wait_for_upkeep()
        build_seconds = time.perf_counter() - started

        # the copy is taken while the writer ingests more
        more = list(generator.articles(arguments.articles, arguments.articles + arguments.during))
        ingest = threading.Thread(target=writer.add, args=(more,))
        ingest.start()
        started = time.perf_counter()
        result = snapshot_index(source, work / "copy", config.vectors)
        snapshot_seconds = time.perf_counter() - started
        ingest.join()
        final_generation = writer.counts().generation
        writer.close()

        open_seconds, vectors = _open_seconds(work / "copy", config)
        rebuilt = work / "rebuilt"
        shutil.copytree(work / "copy", rebuilt)
        for path in rebuilt.glob("live.g*.npz"):
            path.unlink()
        rebuild_seconds, _ = _open_seconds(rebuilt, config)
        report: dict[str, Any] = {
            "articles": arguments.articles,
            "ingested_during_snapshot": arguments.during,
            "build_seconds": round(build_seconds, 1),
            "snapshot_seconds": round(snapshot_seconds, 2),
            "snapshot_generation": result.generation,
            "writer_generation_after": final_generation,
            "copied_articles": result.articles,
            "copied_chunks": result.chunks,
            "copy_bytes": _size(work / "copy"),
            "source_bytes": _size(source),
            "replica_open_seconds": round(open_seconds, 2),
            "replica_open_rebuilding_seconds": round(rebuild_seconds, 2),
            "replica_vectors": vectors,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=1))
    if arguments.out is not None:
        arguments.out.mkdir(parents=True, exist_ok=True)
        (arguments.out / "result.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
