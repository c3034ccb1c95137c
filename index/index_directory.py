"""The index directory's manifest, checked against the embedding model on every open."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from index.embedding.embedder import Embedder, fingerprints_match
from index.manifest import FORMAT_VERSION, IndexFormatError, Manifest, ModelMismatchError
from index.text.chunking import ChunkingConfig
from index.text.normalize import NORMALIZATION_VERSION

STORE_NAME = "documents.sqlite3"


def open_manifest(
    directory: Path,
    embedder: Embedder,
    chunking: ChunkingConfig,
    vector_factory: str,
    holds_articles: bool,
) -> Manifest:
    """The directory's manifest, written for a new index; raises when the index cannot be
    read with this model."""
    manifest = Manifest.read(directory)
    if manifest is None:
        if holds_articles:
            raise IndexFormatError(
                f"{directory} holds articles but no manifest.json; it cannot be checked "
                "against the model. Restore the manifest or rebuild the index."
            )
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            model=embedder.name,
            model_fingerprint=embedder.fingerprint_vector(),
            dimension=embedder.dimension,
            normalization_version=NORMALIZATION_VERSION,
            chunking=asdict(chunking),
            faiss_factory=vector_factory,
            embedding_backend=str(getattr(embedder, "backend", "")),
        )
        manifest.write(directory)
        return manifest
    if manifest.model != embedder.name or manifest.dimension != embedder.dimension:
        raise ModelMismatchError(
            f"the index in {directory} was built with model {manifest.model!r} "
            f"({manifest.dimension} dimensions), but the configured model is "
            f"{embedder.name!r} ({embedder.dimension} dimensions). Set "
            f"IQTIBAS_MODEL={manifest.model!r}, or use another IQTIBAS_DATA_DIR."
        )
    if not fingerprints_match(manifest.model_fingerprint, embedder.fingerprint_vector()):
        raise ModelMismatchError(
            f"the model named {manifest.model!r} now produces different vectors than the "
            f"one that built the index in {directory}; its answers would be garbage. "
            "Restore the original model files or rebuild the index."
        )
    return manifest
