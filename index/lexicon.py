"""Cross-lingual lexicon: English query words to the Arabic terms of the corpus.

The multilingual model places a word and its translation close together even out of
context, so each Arabic term of the corpus is embedded once, at ingest, and an English query
word is matched to its nearest Arabic terms at question time. Those terms then take part in
BM25 and term overlap, which otherwise would never match across scripts.

Invariants: a term is in the lexicon while at least one stored article holds it (the
``articles`` count of ``term_stats``; a delete that takes it to 0 removes the term and logs the
removal), the table
never holds more than the configured number of terms, and in memory only the vectors live,
in a FAISS index addressed by the table's ids (exact while small, IVF over float16 codes
when large: see live_indexes.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from index.embedding.embedder import Matrix
from index.text.transliteration import arabic_skeletons, latin_skeleton
from index.vector_index import VectorIndex

SCHEMA = """
CREATE TABLE IF NOT EXISTS lexicon (
    id INTEGER PRIMARY KEY AUTOINCREMENT, term TEXT NOT NULL UNIQUE, surface TEXT NOT NULL,
    vector BLOB NOT NULL, generation INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS lexicon_by_generation ON lexicon(generation);
CREATE TABLE IF NOT EXISTS lexicon_skeletons (
    skeleton TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (skeleton, id)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class TranslationConfig:
    # candidates per English word, and the similarity a candidate needs; tuned on XQuAD-dev
    per_word: int = 2
    # English words of one question translated at most (XQuAD's questions have up to 14):
    # each costs a place in the model pass and a lexicon search, so a question of hundreds of
    # unknown words would cost seconds; the rest still match as written
    max_words: int = 20
    min_similarity: float = 0.90
    # a candidate must be about as close as the best one, or it is noise
    max_gap: float = 0.02
    # two-letter stems are mostly affixes and particles: never a translation
    min_term_length: int = 3
    # names: Latin and Arabic spellings with the same consonant skeleton (see
    # text/transliteration.py); shorter skeletons collide too often
    transliterate: bool = True
    # sound-alike matches for every English word, not only names (words written with a
    # capital inside the question): common words sound like too many unrelated Arabic terms
    # ("held" like هوليوود and خالد, "treaty" like تطور), which pulled in unrelated articles
    transliterate_common_words: bool = False
    min_skeleton_length: int = 3
    max_transliterations: int = 3


def unknown_terms(connection: sqlite3.Connection, terms: Iterable[str]) -> list[str]:
    """Of ``terms``, those the lexicon lacks, in their order. One step for all of them (see
    lexical_index.update_term_stats): an ingest group asks about ~2,400 terms."""
    wanted = list(dict.fromkeys(terms))
    if not wanted:
        return []
    (found,) = connection.execute(
        "SELECT json_group_array(value) FROM json_each(?)"
        " WHERE NOT EXISTS (SELECT 1 FROM lexicon WHERE term = value)",
        [json.dumps(wanted, ensure_ascii=False)],
    ).fetchone()
    unknown = set(json.loads(found))
    return [term for term in wanted if term in unknown]


def insert_entries(
    connection: sqlite3.Connection,
    terms: Sequence[str],
    surfaces: Sequence[str],
    vectors: Matrix,
    generation: int,
) -> int:
    """New terms (their article counts are kept in ``term_stats``); returns how many."""
    added = 0
    for term, surface, vector in zip(terms, surfaces, vectors, strict=True):
        cursor = connection.execute(
            "INSERT OR IGNORE INTO lexicon(term, surface, vector, generation) VALUES (?, ?, ?, ?)",
            (term, surface, np.asarray(vector, dtype=np.float16).tobytes(), generation),
        )
        if cursor.rowcount:
            added += 1
            connection.executemany(
                "INSERT OR IGNORE INTO lexicon_skeletons(skeleton, id) VALUES (?, ?)",
                [(skeleton, cursor.lastrowid) for skeleton in arabic_skeletons(surface)],
            )
    return added


def remove_terms(connection: sqlite3.Connection, terms: Sequence[str]) -> list[int]:
    """Delete these terms (no article holds them any more); returns their ids."""
    removed = []
    skeletons = []
    for term in terms:
        row = connection.execute(
            "SELECT id, surface FROM lexicon WHERE term = ?", (term,)
        ).fetchone()
        if row is not None:
            removed.append(int(row[0]))
            # by the whole key: deleting by id alone would scan every skeleton
            skeletons += [(skeleton, int(row[0])) for skeleton in arabic_skeletons(str(row[1]))]
    connection.executemany("DELETE FROM lexicon WHERE id = ?", [(i,) for i in removed])
    connection.executemany("DELETE FROM lexicon_skeletons WHERE skeleton = ? AND id = ?", skeletons)
    return removed


def terms_by_id(connection: sqlite3.Connection, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = connection.execute(
        f"SELECT id, term FROM lexicon WHERE id IN ({', '.join('?' * len(ids))})",
        [int(i) for i in ids],
    ).fetchall()
    return {int(i): str(term) for i, term in rows}


def ids_by_skeleton(connection: sqlite3.Connection, skeleton: str) -> list[int]:
    rows = connection.execute(
        "SELECT id FROM lexicon_skeletons WHERE skeleton = ?", (skeleton,)
    ).fetchall()
    return [int(row[0]) for row in rows]


def translate(
    connection: sqlite3.Connection,
    vectors: VectorIndex,
    words: Sequence[str],
    word_vectors: Matrix,
    config: TranslationConfig,
    nprobe: int,
) -> list[list[str]]:
    """For each Latin word (and its vector), the Arabic terms that translate it."""
    if not vectors.size or not len(word_vectors):
        return [[] for _ in words]
    # a few spare candidates: short stems are skipped after the search
    similarities, ids = vectors.search_many(
        word_vectors, min(vectors.size, config.per_word * 4), nprobe
    )
    sounds = [
        _by_sound(connection, vectors, word, vector, config)
        for word, vector in zip(words, word_vectors, strict=True)
    ]
    names = terms_by_id(
        connection,
        sorted(
            {int(i) for row in ids for i in row if i >= 0} | {i for found in sounds for i in found}
        ),
    )
    translations = []
    for row_scores, row_ids, heard in zip(similarities, ids, sounds, strict=True):
        best = [
            (float(score), names[int(i)])
            for score, i in zip(row_scores, row_ids, strict=True)
            if i >= 0
            and int(i) in names
            and len(names[int(i)]) >= config.min_term_length
            and _is_arabic_word(names[int(i)])
        ][: config.per_word]
        meaning = (
            [
                term
                for score, term in best
                if score >= config.min_similarity and best[0][0] - score <= config.max_gap
            ]
            if best
            else []
        )
        translations.append(list(dict.fromkeys(meaning + [names[i] for i in heard if i in names])))
    return translations


def _is_arabic_word(term: str) -> bool:
    """Only Arabic words translate an English one: a number ("half" came out as 7.5) or a
    word of another script ("day" as the Hebrew יום) is a weak match that finds one stray
    article; the English word itself is matched as written anyway."""
    return all("\u0621" <= character <= "\u064a" for character in term)


def _by_sound(
    connection: sqlite3.Connection,
    vectors: VectorIndex,
    word: str,
    vector: Matrix,
    config: TranslationConfig,
) -> list[int]:
    skeleton = latin_skeleton(word)
    if not config.transliterate or len(skeleton) < config.min_skeleton_length:
        return []
    matches = ids_by_skeleton(connection, skeleton)
    if len(matches) > config.max_transliterations:
        scores = [float(vectors.reconstruct(i) @ vector) for i in matches]
        matches = [i for _, i in sorted(zip(scores, matches, strict=True), key=lambda p: -p[0])]
    return matches[: config.max_transliterations]
