"""The article: the unit that is ingested, replaced, deleted and quoted."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import astuple, dataclass

from index.errors import InputError
from index.text.normalize import normalize_for_storage

MAX_ID_LENGTH = 200
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class InvalidArticleError(InputError):
    """An article that cannot be stored; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    text: str
    lang: str | None = None
    url: str | None = None
    published: str | None = None  # ISO 8601 date, compared as text
    source: str | None = None
    summary: str | None = None

    @classmethod
    def create(
        cls,
        id: str,
        text: str,
        title: str = "",
        lang: str | None = None,
        url: str | None = None,
        published: str | None = None,
        source: str | None = None,
        summary: str | None = None,
    ) -> Article:
        """Validate and store-normalise an article; raises InvalidArticleError."""
        if not isinstance(id, str) or not id.strip():
            raise InvalidArticleError("article id must be a non-empty string")
        if len(id) > MAX_ID_LENGTH or _CONTROL_CHARACTERS.search(id):
            raise InvalidArticleError(
                f"article id must be at most {MAX_ID_LENGTH} characters with no control characters"
            )
        if not isinstance(text, str) or not text.strip():
            raise InvalidArticleError(f"article {id!r} has no text")
        stored_text = normalize_for_storage(text)
        return cls(
            id=id,
            title=normalize_for_storage(title or "").strip(),
            text=stored_text,
            lang=lang,
            url=url,
            published=published,
            source=source,
            summary=normalize_for_storage(summary).strip() if summary else None,
        )

    def content_hash(self) -> str:
        """A digest of every stored field: two articles with the same hash store the same."""
        fields = json.dumps(astuple(self), ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(fields.encode()).hexdigest()
