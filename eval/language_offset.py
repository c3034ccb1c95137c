"""Measure a model's English-to-Arabic offset on parallel sentences, for the query shift.

    python -m eval.language_offset            # writes index/retrieval/language_offsets.json

Each English sentence of NTREX-dev is embedded as a query and its professional Arabic
translation as a passage, as the service embeds questions and articles; the offset is the
mean of the first less the mean of the second (index/retrieval/language_offset.py says why
and how it is used). Development data only: NTREX-dev is one of the development sets, and
none of the evaluation's questions is read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from eval.datasets import default_data_dir, ntrex_parallel_sentences
from index.retrieval.language_offset import OFFSETS_PATH
from service.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.language_offset", description=__doc__)
    parser.add_argument("--out", type=Path, default=OFFSETS_PATH)
    arguments = parser.parse_args(argv)
    from service.bootstrap import configured_embedder, limit_threads

    settings = Settings()
    limit_threads(settings.torch_threads)
    embedder = configured_embedder(settings)
    pairs = ntrex_parallel_sentences(default_data_dir())
    english = np.asarray(embedder.encode_queries([en for en, _ in pairs]), dtype=np.float64)
    arabic = np.asarray(
        embedder.encode_passages([ar for _, ar in pairs], show_progress=True), dtype=np.float64
    )
    offset = english.mean(axis=0) - arabic.mean(axis=0)
    offsets = (
        json.loads(arguments.out.read_text(encoding="utf-8")) if arguments.out.exists() else {}
    )
    offsets[embedder.name] = {
        "source": f"NTREX-dev, {len(pairs)} sentence pairs: mean English query vector less "
        "mean Arabic passage vector",
        "command": "python -m eval.language_offset",
        "offset": [round(float(value), 6) for value in offset],
    }
    arguments.out.write_text(json.dumps(offsets, indent=1) + "\n", encoding="utf-8")
    print(f"{embedder.name}: offset of norm {np.linalg.norm(offset):.4f} from {len(pairs)} pairs")
    print(f"wrote {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
