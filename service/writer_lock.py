"""Which process owns an index directory's write queue: the one holding an OS file lock
(``flock``) on ``writer.lock`` in that directory.

Invariant: at most one process at a time runs the write queue of a directory (jobs.py over
job_journal.py), so journalled changes are resumed and applied once, never by two servers
at the same time. Every other server over the directory runs as a read-only replica
(IQTIBAS_READ_ONLY). The kernel drops the lock when its process ends, however it ends
(SIGKILL too), so a crash never leaves a stale lock behind and a restart takes it again.

flock tells processes apart, not threads or apps: within one process the lock is shared and
counted (tests and benchmarks run several apps over one corpus in one process), and released
when the last holder releases it. It is a lock of one machine's kernel: on a network file
system, run one writer per directory by deployment, not by this lock.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from index.errors import SetupError

LOCK_NAME = "writer.lock"


class WriterLockedError(SetupError):
    """Another process owns the directory's write queue."""


class WriterLock:
    """A held lock; ``release`` it once (the last release in the process unlocks)."""

    def __init__(self, key: str) -> None:
        self._key = key
        self._released = False

    def release(self) -> None:
        with _registry_lock:
            if self._released:
                return
            self._released = True
            descriptor, holders = _held[self._key]
            if holders > 1:
                _held[self._key] = (descriptor, holders - 1)
                return
            del _held[self._key]
            os.close(descriptor)  # closing the last descriptor drops the flock


# lock key (the directory's real path) -> (descriptor holding the flock, holders)
_held: dict[str, tuple[int, int]] = {}
_registry_lock = threading.Lock()


def acquire_writer_lock(directory: Path) -> WriterLock:
    """Take the directory's writer lock now, or raise WriterLockedError saying which process
    holds it and what to do instead; never waits."""
    directory.mkdir(parents=True, exist_ok=True)
    key = os.path.realpath(directory)
    with _registry_lock:
        if key in _held:
            descriptor, holders = _held[key]
            _held[key] = (descriptor, holders + 1)
            return WriterLock(key)
        path = Path(key) / LOCK_NAME
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(descriptor)
            os.close(descriptor)
            raise WriterLockedError(
                f"another process{holder} already serves writes for the index in {directory} "
                f"(it holds {path}); one server per index directory owns the write queue. "
                "Start this server as a read-only replica with IQTIBAS_READ_ONLY=true (it "
                "follows that writer's changes), or stop the other server first."
            ) from None
        # the holder's pid, for the message another process gets; information only
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        _held[key] = (descriptor, 1)
        return WriterLock(key)


def _read_holder(descriptor: int) -> str:
    text = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
    return f" (pid {text})" if text.isdigit() else ""
