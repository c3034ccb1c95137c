"""The write queue's durable record: every accepted change (an ingest batch or a delete) and
its progress, in its own SQLite file beside the index.

Invariant: a change is written here, with its articles, before the client is told it was
accepted, and its progress is written after each commit group of the index is durable. So
after any crash the journal holds every accepted change that has not finished, in the order
it was accepted, with the articles it had reported stored; running it again from there is
safe because storing an article twice stores the same text. Finished changes keep their
states (not their articles) so that ``GET /jobs/{id}`` answers after a restart.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from index.article import Article

JOURNAL_NAME = "writes.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    articles TEXT,
    existed TEXT,
    states TEXT NOT NULL,
    passages_total INTEGER,
    passages_done INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS changes_by_status ON changes(status, sequence);
"""
UNFINISHED = ("queued", "running")


@dataclass
class JournalRow:
    """One change as the journal holds it (articles only while unfinished)."""

    job_id: str
    kind: str
    status: str
    states: dict[str, str]
    existed: list[str] | None
    passages_total: int | None
    passages_done: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobJournal:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / JOURNAL_NAME
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode=WAL")
        # FULL: a 202 promises the change survives a power cut, not only a crash
        self._connection.execute("PRAGMA synchronous=FULL")
        self._connection.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    # --- writing ------------------------------------------------------------------------
    def admit(
        self,
        job_id: str,
        kind: str,
        articles: Sequence[Article],
        states: dict[str, str],
        created_at: datetime,
    ) -> None:
        payload = json.dumps([dataclasses.asdict(article) for article in articles])
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO changes(job_id, kind, status, articles, states, created_at)"
                " VALUES (?, ?, 'queued', ?, ?, ?)",
                (job_id, kind, payload, json.dumps(states), created_at.isoformat()),
            )

    def start(
        self, job_id: str, existed: Sequence[str], passages_total: int, started_at: datetime
    ) -> None:
        with self._transaction() as connection:
            connection.execute(
                "UPDATE changes SET status = 'running', existed = ?, passages_total = ?,"
                " started_at = ? WHERE job_id = ?",
                (json.dumps(list(existed)), passages_total, started_at.isoformat(), job_id),
            )

    def progress(self, job_id: str, states: dict[str, str], passages_done: int) -> None:
        with self._transaction() as connection:
            connection.execute(
                "UPDATE changes SET states = ?, passages_done = ? WHERE job_id = ?",
                (json.dumps(states), passages_done, job_id),
            )

    def finish(
        self,
        job_id: str,
        status: str,
        states: dict[str, str],
        error: str | None,
        finished_at: datetime,
        kept: int,
    ) -> None:
        """Record the outcome, drop the articles, and forget all but the ``kept`` newest
        finished changes."""
        with self._transaction() as connection:
            connection.execute(
                "UPDATE changes SET status = ?, states = ?, error = ?, finished_at = ?,"
                " articles = NULL WHERE job_id = ?",
                (status, json.dumps(states), error, finished_at.isoformat(), job_id),
            )
            connection.execute(
                "DELETE FROM changes WHERE status NOT IN ('queued', 'running') AND sequence"
                " NOT IN (SELECT sequence FROM changes WHERE status NOT IN"
                " ('queued', 'running') ORDER BY sequence DESC LIMIT ?)",
                (kept,),
            )

    # --- reading ------------------------------------------------------------------------
    def rows(self) -> list[JournalRow]:
        """Every change held, in the order accepted."""
        with self._lock:
            found = self._connection.execute(
                "SELECT job_id, kind, status, states, existed, passages_total, passages_done,"
                " error, created_at, started_at, finished_at FROM changes ORDER BY sequence"
            ).fetchall()
        return [
            JournalRow(
                job_id=row[0],
                kind=row[1],
                status=row[2],
                states=json.loads(row[3]),
                existed=json.loads(row[4]) if row[4] is not None else None,
                passages_total=row[5],
                passages_done=int(row[6]),
                error=row[7],
                created_at=datetime.fromisoformat(row[8]),
                started_at=_time(row[9]),
                finished_at=_time(row[10]),
            )
            for row in found
        ]

    def articles(self, job_id: str) -> list[Article]:
        """The articles of an unfinished change, as accepted."""
        with self._lock:
            row = self._connection.execute(
                "SELECT articles FROM changes WHERE job_id = ?", (job_id,)
            ).fetchone()
        if row is None or row[0] is None:
            return []
        return [Article(**_fields(item)) for item in json.loads(row[0])]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _fields(item: Any) -> dict[str, Any]:
    names = {field.name for field in dataclasses.fields(Article)}
    return {name: value for name, value in item.items() if name in names}
