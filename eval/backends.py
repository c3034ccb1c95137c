"""Where questions are asked: the library in this process, or a running server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from eval.answers import ReturnedAnswer
from index.answerer import AnswerConfig
from index.article import Article


class Backend(Protocol):
    # what the report says about the mode, e.g. how articles are ranked
    description: str
    # False when the backend answers with its own settings and ignores a configuration
    applies_configurations: bool

    def load(self, articles: Sequence[Article], label: str) -> None:
        """Make ``articles`` searchable; everything asked afterwards searches them."""

    def ask(self, question: str, top_k: int, config: AnswerConfig) -> ReturnedAnswer: ...

    def close(self) -> None: ...
