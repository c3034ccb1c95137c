"""A corpus that a process only reads: a read-only replica over an index that another process
writes, or over a snapshot copy of one (snapshot.py).

It follows every write of the writer as any Corpus does (each read catches the in-memory
indexes up to the store's generation through the change log, or from the writer's newest
vector snapshot once the log is pruned past it). Invariant: it never writes the directory:
no article, no metadata, no vector snapshot, no log pruning, no manifest. Saving snapshots is
the writer's job; a reader saving an older generation than the writer's would lower the
log floor under the writer's (see LiveIndexes.catch_up), and a replica's directory may be a
copy that must stay as shipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from index.article import Article
from index.corpus import CommittedCallback, Corpus, CorpusConfig, ProgressCallback
from index.embedding.embedder import Embedder
from index.errors import SetupError
from index.index_directory import STORE_NAME
from index.manifest import MANIFEST_NAME
from index.preparation import PreparedGroup


class ReadOnlyIndexError(SetupError):
    """A write asked of a read-only corpus, or no index to read."""


def require_index(directory: Path) -> None:
    """Raise unless ``directory`` holds an index (its manifest and store): a replica serves
    an index that a writer made, it never starts a new one."""
    missing = [name for name in (MANIFEST_NAME, STORE_NAME) if not (directory / name).is_file()]
    if missing:
        raise ReadOnlyIndexError(
            f"no index in {directory} (missing {', '.join(missing)}): a read-only replica "
            "(IQTIBAS_READ_ONLY=true) serves an existing index. Start the writer over this "
            "directory first, or copy one here with 'iqtibas snapshot'."
        )


class ReadOnlyCorpus(Corpus):
    def __init__(
        self, directory: Path, embedder: Embedder, config: CorpusConfig | None = None
    ) -> None:
        require_index(directory)
        super().__init__(directory, embedder, config)

    def add(
        self,
        articles: Sequence[Article],
        progress: ProgressCallback | None = None,
        on_committed: CommittedCallback | None = None,
        keep_going: Callable[[], bool] | None = None,
    ) -> list[str]:
        raise _refused(self.directory)

    def add_prepared(
        self,
        groups: Iterable[PreparedGroup],
        on_committed: CommittedCallback | None = None,
        keep_going: Callable[[], bool] | None = None,
    ) -> list[str]:
        raise _refused(self.directory)

    def delete(self, doc_ids: Sequence[str]) -> list[str]:
        raise _refused(self.directory)

    def set_meta(self, values: dict[str, str]) -> None:
        raise _refused(self.directory)

    def persist(self) -> None:
        """Nothing: the writer saves the vector snapshots this replica loads."""


def _refused(directory: Path) -> ReadOnlyIndexError:
    return ReadOnlyIndexError(
        f"the index in {directory} is open read-only (IQTIBAS_READ_ONLY=true): this process "
        "does not change it. Write through the process that owns it, or unset IQTIBAS_READ_ONLY."
    )
