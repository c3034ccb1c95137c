"""Restrict answers to some articles: by id, source, language or publication date range."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArticleFilter:
    doc_ids: frozenset[str] | None = None
    source: str | None = None
    lang: str | None = None
    published_from: str | None = None  # ISO dates compare correctly as text
    published_to: str | None = None

    @property
    def is_empty(self) -> bool:
        return self == ArticleFilter()

    def sql_where(self) -> tuple[str, list[str]]:
        """A WHERE clause over the articles table, with its parameters."""
        clauses: list[str] = []
        parameters: list[str] = []
        if self.doc_ids is not None:
            clauses.append(
                f"doc_id IN ({', '.join('?' * len(self.doc_ids))})" if self.doc_ids else "0"
            )
            parameters.extend(sorted(self.doc_ids))
        for column, value in (("source", self.source), ("lang", self.lang)):
            if value is not None:
                clauses.append(f"{column} = ?")
                parameters.append(value)
        # published is ISO 8601; its first 10 characters are the day, which compares as text
        if self.published_from is not None:
            clauses.append("substr(published, 1, 10) >= ?")
            parameters.append(self.published_from[:10])
        if self.published_to is not None:
            clauses.append("substr(published, 1, 10) <= ?")
            parameters.append(self.published_to[:10])
        return (" AND ".join(clauses) or "1"), parameters
