"""An answer as the evaluation sees it, whether it came from the library or over HTTP."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReturnedQuote:
    text: str
    doc_id: str
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class ReturnedAnswer:
    answerable: bool
    quotes: tuple[ReturnedQuote, ...]
    # articles best first: every retrieved one in process, only the quoted ones from a server
    ranked_doc_ids: tuple[str, ...]
    # measured around the call by the evaluation, so both modes are timed the same way
    latency_ms: float

    @property
    def top_score(self) -> float | None:
        return self.quotes[0].score if self.quotes else None
