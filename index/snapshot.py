"""A consistent copy of an index directory, taken while writers keep writing: what read-only
replicas on other machines open (``iqtibas snapshot DEST``).

The copy holds the store, one vector snapshot at the store's generation and the manifest, so
a replica opens it by loading that snapshot, with nothing to replay or rebuild. It holds no
write-queue journal and no writer lock: those belong to the writer of the original.

Why the copy is consistent whatever the writers do meanwhile:

- The store is copied with SQLite's online backup in a single step, which reads the whole
  database inside one read transaction: one generation G, with its change log and log floor
  F exactly as they were at G. Writers go on committing (WAL: a reader never blocks them).
  A stepwise backup would restart at every commit of a busy writer.
- The original's vector snapshot files are not trusted to match G: the newest may be older
  than G (changes since it are in the log), newer than G (saved after the backup), or older
  than F (a save pruned the log past it meanwhile), and a save may delete it while it is
  copied. So only a file whose generation g has F <= g <= G is copied, the one that the
  copied log can bring up to G (the LiveIndexes invariant); if none can be copied, nothing
  is, and the vectors are rebuilt from the copied store.
- The copy is then opened on its own: LiveIndexes.open loads that file (or rebuilds) and
  replays the copied log up to G, and a fresh snapshot at G is saved beside the store. The
  copy's log is pruned at G and its manifest counts are the copied store's.
- Everything is built in a hidden sibling directory and renamed to DEST at the end, so DEST
  is either absent (or empty) or a complete copy, never half of one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from index.document_store import DocumentStore
from index.errors import InputError, SetupError
from index.index_directory import STORE_NAME
from index.live_indexes import LiveIndexes, snapshot_files
from index.manifest import MANIFEST_NAME, Manifest
from index.vector_index import VectorIndexConfig


class SnapshotDestinationError(InputError):
    """DEST cannot take a new copy (it holds something, or lies inside the index)."""


class NoIndexError(SetupError):
    """The source directory holds no index."""


@dataclass(frozen=True)
class SnapshotResult:
    destination: Path
    generation: int
    articles: int
    chunks: int
    sentences: int
    # the original's vector snapshot the copy started from; None: rebuilt from the store
    base_generation: int | None


def snapshot_index(source: Path, destination: Path, vectors: VectorIndexConfig) -> SnapshotResult:
    """Copy the index in ``source`` to ``destination`` (absent or an empty directory)."""
    for name in (MANIFEST_NAME, STORE_NAME):
        if not (source / name).is_file():
            raise NoIndexError(f"no index in {source} (missing {name}): nothing to copy")
    _check_destination(source, destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.partial-", dir=destination.parent))
    try:
        os.chmod(staging, 0o755)  # a directory like any other, not mkdtemp's private one
        result = _build(source, staging, vectors)
        _sync_directory(staging)
        # an empty directory at DEST is replaced; one that gained entries meanwhile is not
        os.rename(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _sync_directory(destination.parent)
    return replace(result, destination=destination)


def _check_destination(source: Path, destination: Path) -> None:
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise SnapshotDestinationError(
            f"{destination} exists and is not an empty directory; a snapshot is written to a "
            "new or empty directory and never over anything: choose another path"
        )
    resolved, original = destination.resolve(), source.resolve()
    if resolved == original or original in resolved.parents:
        raise SnapshotDestinationError(
            f"{destination} is inside the index it would copy ({source}); choose a path outside it"
        )


def _build(source: Path, staging: Path, vectors: VectorIndexConfig) -> SnapshotResult:
    manifest = Manifest.read(source)  # checks the format before anything is copied
    assert manifest is not None  # the file exists (checked by the caller)
    backup_store(source / STORE_NAME, staging / STORE_NAME)
    store = DocumentStore(staging / STORE_NAME)
    try:
        with store.snapshot() as reader:
            generation, floor = reader.generation(), reader.log_floor()
        base = _copy_vector_snapshot(source, staging, floor, generation)
        live = LiveIndexes.open(staging, store, manifest.dimension, vectors)
        if live.generation != generation:
            # the copied store never changes: opening it must end at its generation
            raise SetupError(
                f"the copied index opened at generation {live.generation}, not {generation}"
            )
        live.save()  # removes the copied file: the copy keeps one snapshot, at G
        store.prune_log(generation)
        counts = store.counts()
    finally:
        store.close()
    manifest.counts = {
        "articles": counts.articles,
        "chunks": counts.chunks,
        "sentences": counts.sentences,
        "generation": generation,
    }
    manifest.write(staging)
    return SnapshotResult(
        staging, generation, counts.articles, counts.chunks, counts.sentences, base
    )


def backup_store(source: Path, target: Path) -> None:
    """SQLite's online backup of ``source`` into a new file ``target``, in one step: one
    read transaction, so one generation, while other connections keep writing."""
    original = sqlite3.connect(source, isolation_level=None)
    try:
        original.execute("PRAGMA query_only=ON")
        original.execute("PRAGMA busy_timeout=30000")
        copy = sqlite3.connect(target, isolation_level=None)
        try:
            original.backup(copy, pages=-1)
        finally:
            copy.close()
    finally:
        original.close()


def _copy_vector_snapshot(source: Path, staging: Path, floor: int, generation: int) -> int | None:
    """Copy the newest vector snapshot of ``source`` that the copied change log can bring up
    to ``generation`` (floor <= g <= generation); its generation, or None if there is none."""
    for found, path in snapshot_files(source, floor, generation):
        try:
            shutil.copyfile(path, staging / path.name)
        except FileNotFoundError:
            continue  # a newer save removed it meanwhile: an older one, or a rebuild, serves
        return found
    return None


def _sync_directory(directory: Path) -> None:
    """Make the directory's entries (new files, a rename into it) durable."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
