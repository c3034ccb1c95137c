"""The index manifest: what built an index, so that it is never read with the wrong model."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.errors import SetupError

# 2: float16 vectors, change log, term statistics, no sentence FAISS index
# 3: lexicon article counts live in term_stats
FORMAT_VERSION = 3
MANIFEST_NAME = "manifest.json"


class IndexFormatError(SetupError):
    """The index directory cannot be used as it is; the message says why and what to do."""


class ModelMismatchError(IndexFormatError):
    """The index was built with another embedding model than the one configured."""


@dataclass
class Manifest:
    format_version: int
    model: str
    model_fingerprint: list[float]
    dimension: int
    normalization_version: int
    chunking: dict[str, int]
    faiss_factory: str
    counts: dict[str, int] = field(default_factory=dict)
    # the engine that built it (information: the backends' vectors agree to cosine 0.9999,
    # and the fingerprint check above is what decides whether an index can be read)
    embedding_backend: str = ""

    def write(self, directory: Path) -> None:
        """Atomic replace, so that a crash never leaves a half-written manifest."""
        path = directory / MANIFEST_NAME
        temporary = path.with_name(MANIFEST_NAME + ".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    @classmethod
    def read(cls, directory: Path) -> Manifest | None:
        path = directory / MANIFEST_NAME
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest = cls(**data)
        except (ValueError, TypeError) as error:
            raise IndexFormatError(f"{path} is not a valid Iqtibas manifest: {error}") from error
        if manifest.format_version != FORMAT_VERSION:
            raise IndexFormatError(
                f"{path} has index format {manifest.format_version}; this version of Iqtibas "
                f"reads format {FORMAT_VERSION}. Rebuild the index (delete the directory and "
                "ingest the articles again)."
            )
        return manifest
