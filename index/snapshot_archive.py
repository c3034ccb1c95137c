"""The file of one snapshot of the in-memory indexes: a zip archive, readable as an ``.npz``.

The header and the column arrays are ``.npy`` members; each vector index is a raw ``.faiss``
member that FAISS writes straight into the archive and reads straight out of it. Saving or
loading never holds a serialised copy of an index beside the index (at 200,000 articles the
two indexes are about 1 GB; serialising them first took three times as long and twice the
memory). Snapshots written before this layout hold each index as a ``.npy`` byte array under
the index's name; they are still read.

The file is written under a temporary name, synced and renamed: it is whole or absent.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from index.vector_index import VectorIndex

INDEX_SUFFIX = ".faiss"
ARRAY_SUFFIX = ".npy"
_HEADER = "header"


def write_snapshot(
    path: Path,
    header: Mapping[str, Any],
    arrays: Mapping[str, npt.NDArray[Any]],
    indexes: Mapping[str, VectorIndex],
) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            members = {_HEADER: np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays}
            for name, array in members.items():
                with archive.open(name + ARRAY_SUFFIX, "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
            for name, index in indexes.items():
                with archive.open(name + INDEX_SUFFIX, "w", force_zip64=True) as member:
                    index.write(member)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class SnapshotReader:
    """An open snapshot file: ``with SnapshotReader(path) as snapshot: ...``."""

    def __init__(self, path: Path) -> None:
        try:
            self._archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as error:
            raise ValueError(f"not a snapshot archive: {error}") from error
        self._names = set(self._archive.namelist())

    def __enter__(self) -> SnapshotReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._archive.close()

    def header(self) -> dict[str, Any]:
        header: dict[str, Any] = json.loads(bytes(self.array(_HEADER)).decode())
        return header

    def array(self, name: str) -> npt.NDArray[Any]:
        member = name + ARRAY_SUFFIX
        if member not in self._names:
            raise KeyError(f"the snapshot has no {name!r}")
        with self._archive.open(member) as stream:
            array: npt.NDArray[Any] = np.lib.format.read_array(stream, allow_pickle=False)
        return array

    def index(self, name: str, dimension: int, factory: str, trained_on: int) -> VectorIndex:
        if name + INDEX_SUFFIX in self._names:
            with self._archive.open(name + INDEX_SUFFIX) as stream:
                return VectorIndex.read(stream, dimension, factory, trained_on)
        return VectorIndex.deserialize(self.array(name), dimension, factory, trained_on)
