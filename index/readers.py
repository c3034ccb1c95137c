"""Read articles from files: .txt/.md (one article, first line the title), .jsonl (one article
a line) and SQuAD-format .json (one article per paragraph); folders are read recursively.

Everything is read and checked before anything is indexed, so bad input changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from index.article import Article, InvalidArticleError
from index.errors import InputError

SUPPORTED_SUFFIXES = (".txt", ".md", ".jsonl", ".json")
_ARTICLE_FIELDS = ("id", "title", "text", "lang", "url", "published", "source", "summary")


class ArticleReadError(InputError):
    """Input that cannot be read as articles; the message names the file (and line)."""


def read_utf8_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ArticleReadError(f"{path}: no such file") from error
    except UnicodeDecodeError as error:
        raise ArticleReadError(
            f"{path}: not UTF-8 text (invalid byte at position {error.start}); "
            "convert it to UTF-8 first"
        ) from error
    except OSError as error:
        raise ArticleReadError(f"{path}: cannot be read: {error.strerror}") from error


def read_text_article(path: Path) -> Article:
    title, _, body = read_utf8_text(path).lstrip("\ufeff").partition("\n")
    try:
        return Article.create(id=path.stem, title=title.strip(), text=body, source=path.name)
    except InvalidArticleError as error:
        raise ArticleReadError(f"{path}: {error}") from error


def article_from_record(record: Any, where: str) -> Article:
    if not isinstance(record, dict):
        raise ArticleReadError(f"{where}: expected a JSON object with id and text")
    missing = [name for name in ("id", "text") if record.get(name) in (None, "")]
    if missing:
        raise ArticleReadError(f"{where}: missing field(s) {', '.join(missing)}")
    values = {name: record.get(name) for name in _ARTICLE_FIELDS}
    for name, value in values.items():
        if value is not None and not isinstance(value, str | int):
            raise ArticleReadError(f"{where}: field {name!r} must be a string")
        values[name] = None if value is None else str(value)
    try:
        return Article.create(**{k: v for k, v in values.items() if v is not None})
    except InvalidArticleError as error:
        raise ArticleReadError(f"{where}: {error}") from error


def read_jsonl(path: Path) -> list[Article]:
    articles = []
    for number, line in enumerate(read_utf8_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ArticleReadError(f"{path} line {number}: invalid JSON ({error.msg})") from error
        articles.append(article_from_record(record, f"{path} line {number}"))
    return articles


def read_squad(path: Path) -> list[Article]:
    """Each SQuAD paragraph becomes an article. Titles are Wikipedia page names that real news
    does not carry (they would hint English questions), so they are kept as the source only."""
    try:
        data = json.loads(read_utf8_text(path))
        articles = []
        for article_number, entry in enumerate(data["data"]):
            for paragraph_number, paragraph in enumerate(entry["paragraphs"]):
                articles.append(
                    Article.create(
                        id=f"{path.stem}-{article_number}-{paragraph_number}",
                        text=paragraph["context"],
                        source=str(entry.get("title", path.stem)),
                    )
                )
        return articles
    except json.JSONDecodeError as error:
        raise ArticleReadError(f"{path} line {error.lineno}: invalid JSON ({error.msg})") from error
    except (KeyError, TypeError) as error:
        raise ArticleReadError(
            f"{path}: not SQuAD format (expected data[].paragraphs[].context): {error}"
        ) from error
    except InvalidArticleError as error:
        raise ArticleReadError(f"{path}: {error}") from error


def read_path(path: Path) -> list[Article]:
    if path.is_dir():
        return [a for child in _supported_files(path) for a in read_path(child)]
    if not path.exists():
        raise ArticleReadError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md"):
        return [read_text_article(path)]
    if suffix == ".jsonl":
        return read_jsonl(path)
    if suffix == ".json":
        return read_squad(path)
    raise ArticleReadError(
        f"{path}: unsupported file type {suffix or '(none)'}; use {', '.join(SUPPORTED_SUFFIXES)}"
    )


def _supported_files(folder: Path) -> Iterator[Path]:
    for child in sorted(folder.rglob("*")):
        if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES:
            yield child


def read_paths(paths: Sequence[Path]) -> list[Article]:
    """All articles of all paths; raises ArticleReadError before returning anything."""
    return [article for path in paths for article in read_path(path)]
