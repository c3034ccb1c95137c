"""The seed corpus shipped in ``seeds/``: articles described by ``seeds/manifest.json``."""

from __future__ import annotations

import json
from pathlib import Path

from index.article import Article
from index.readers import ArticleReadError, read_utf8_text


def read_seeds(folder: Path) -> list[Article]:
    """Seed files hold a one-line summary, then the article; the manifest gives the rest."""
    manifest_path = folder / "manifest.json"
    try:
        entries = json.loads(read_utf8_text(manifest_path))
    except json.JSONDecodeError as error:
        raise ArticleReadError(f"{manifest_path}: invalid JSON ({error.msg})") from error
    articles = []
    for entry in entries:
        summary, _, body = read_utf8_text(folder / entry["file"]).partition("\n")
        articles.append(
            Article.create(
                id=entry["id"],
                title=entry["title"],
                text=body,
                lang=entry.get("lang"),
                url=entry.get("url"),
                published=entry.get("published"),
                source=entry.get("source"),
                summary=summary,
            )
        )
    return articles
