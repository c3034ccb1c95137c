"""NTREX-dev's parallel sentences, as the language offset and the probes read them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.datasets import DatasetError, ntrex_parallel_sentences


def test_parallel_sentences_come_in_file_order_across_articles(tmp_path: Path) -> None:
    (tmp_path / "ntrex").mkdir()
    articles = [
        {"id": "a", "sentences": [{"en": "One.", "ar": "واحد."}, {"en": "Two.", "ar": "اثنان."}]},
        {"id": "b", "sentences": [{"en": "Three.", "ar": "ثلاثة."}]},
    ]
    (tmp_path / "ntrex" / "ntrex-dev.jsonl").write_text(
        "\n".join(json.dumps(a, ensure_ascii=False) for a in articles) + "\n", encoding="utf-8"
    )
    assert ntrex_parallel_sentences(tmp_path) == [
        ("One.", "واحد."),
        ("Two.", "اثنان."),
        ("Three.", "ثلاثة."),
    ]


def test_missing_parallel_sentences_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"ntrex-dev\.jsonl is missing"):
        ntrex_parallel_sentences(tmp_path)
