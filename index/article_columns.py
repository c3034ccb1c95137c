"""What article filters look at, held in numpy columns by article key, and each chunk's
article, so that a filter becomes a FAISS id bitmap in a few vectorised steps at any
selectivity, with no Python set of matching ids and no query over every article."""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from index.filters import ArticleFilter
from index.store_reader import ArticleAttributes

NO_DAY = np.iinfo(np.int32).min
_EPOCH = datetime.date(1970, 1, 1)


def day_number(published: str | None) -> int:
    """Days since 1970 of an ISO date's first 10 characters; NO_DAY when it has none."""
    if not published:
        return int(NO_DAY)
    try:
        return (datetime.date.fromisoformat(published[:10]) - _EPOCH).days
    except ValueError:
        return int(NO_DAY)


def _grown(array: npt.NDArray[Any], size: int, fill: int) -> npt.NDArray[Any]:
    if size <= len(array):
        return array
    bigger = np.full(max(size, 2 * len(array), 1024), fill, dtype=array.dtype)
    bigger[: len(array)] = array
    return bigger


class ArticleColumns:
    def __init__(self) -> None:
        self.alive = np.zeros(0, dtype=bool)
        self.source = np.zeros(0, dtype=np.int32)
        self.lang = np.zeros(0, dtype=np.int32)
        self.day = np.zeros(0, dtype=np.int32)
        self.chunk_article = np.zeros(0, dtype=np.int32)  # -1: no such chunk
        self.codes: dict[str, dict[str, int]] = {"source": {}, "lang": {}}

    def _code(self, column: str, value: str | None) -> int:
        if value is None:
            return -1
        codes = self.codes[column]
        return codes.setdefault(value, len(codes))

    def set_articles(self, attributes: ArticleAttributes) -> None:
        if not len(attributes.keys):
            return
        size = int(attributes.keys.max()) + 1
        self.alive = _grown(self.alive, size, 0)
        self.source = _grown(self.source, size, -1)
        self.lang = _grown(self.lang, size, -1)
        self.day = _grown(self.day, size, int(NO_DAY))
        keys = attributes.keys
        self.alive[keys] = True
        self.source[keys] = [self._code("source", value) for value in attributes.sources]
        self.lang[keys] = [self._code("lang", value) for value in attributes.langs]
        self.day[keys] = [day_number(value) for value in attributes.published]

    def remove_articles(self, keys: npt.NDArray[np.int64]) -> None:
        keys = keys[keys < len(self.alive)]
        self.alive[keys] = False

    def set_chunks(self, ids: npt.NDArray[np.int64], articles: npt.NDArray[np.int64]) -> None:
        if len(ids):
            self.chunk_article = _grown(self.chunk_article, int(ids.max()) + 1, -1)
            self.chunk_article[ids] = articles

    def remove_chunks(self, ids: npt.NDArray[np.int64]) -> None:
        ids = ids[ids < len(self.chunk_article)]
        self.chunk_article[ids] = -1

    def article_mask(
        self, article_filter: ArticleFilter, keys: npt.NDArray[np.int64] | None
    ) -> npt.NDArray[np.bool_]:
        """Which article keys the filter accepts; ``keys`` are those of its doc_ids."""
        mask = self.alive.copy()
        if keys is not None:
            chosen = np.zeros_like(mask)
            chosen[keys[keys < len(mask)]] = True
            mask &= chosen
        for column, value in (("source", article_filter.source), ("lang", article_filter.lang)):
            if value is not None:
                code = self.codes[column].get(value)
                column_values = self.source if column == "source" else self.lang
                mask &= column_values == (-2 if code is None else code)
        if article_filter.published_from is not None:
            mask &= (self.day != NO_DAY) & (self.day >= day_number(article_filter.published_from))
        if article_filter.published_to is not None:
            mask &= (self.day != NO_DAY) & (self.day <= day_number(article_filter.published_to))
        return mask

    def chunk_mask(self, article_mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """Per chunk id: is it a stored chunk of an accepted article."""
        owners = self.chunk_article
        accepted = np.zeros(len(owners), dtype=bool)
        present = owners >= 0
        accepted[present] = article_mask[owners[present]]
        return accepted

    def state(self) -> dict[str, npt.NDArray[Any]]:
        return {
            "alive": self.alive.copy(),
            "source": self.source.copy(),
            "lang": self.lang.copy(),
            "day": self.day.copy(),
            "chunk_article": self.chunk_article.copy(),
        }

    def restore(
        self, arrays: dict[str, npt.NDArray[Any]], codes: dict[str, dict[str, int]]
    ) -> None:
        self.alive = arrays["alive"]
        self.source = arrays["source"]
        self.lang = arrays["lang"]
        self.day = arrays["day"]
        self.chunk_article = arrays["chunk_article"]
        self.codes = codes
