"""`iqtibas snapshot DEST`: the copy, what to run next, and a clear refusal (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.read_only_corpus import ReadOnlyCorpus
from service.cli import EXIT_BAD_INPUT, main
from service.settings import get_settings
from tests.conftest import HashingEmbedder


def test_snapshot_copies_and_says_how_to_serve_the_copy(
    existing_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fixture_articles: list
) -> None:
    destination = tmp_path / "replica" / "index"
    assert main(["snapshot", str(destination)]) == 0
    out = capsys.readouterr().out
    assert f"{len(fixture_articles)} article(s)" in out
    assert f"IQTIBAS_DATA_DIR={destination} IQTIBAS_READ_ONLY=true iqtibas serve" in out
    copy = ReadOnlyCorpus(destination, HashingEmbedder())
    try:
        assert copy.counts().articles == len(fixture_articles)
    finally:
        copy.close()


def test_a_destination_that_is_not_empty_is_refused_with_exit_2(
    existing_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    destination = tmp_path / "occupied"
    destination.mkdir()
    (destination / "old.sqlite3").write_bytes(b"keep")
    assert main(["snapshot", str(destination)]) == EXIT_BAD_INPUT
    error = capsys.readouterr().err
    assert "exists and is not an empty directory" in error and "Traceback" not in error
    assert [p.name for p in destination.iterdir()] == ["old.sqlite3"]


def test_no_index_to_copy_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IQTIBAS_DATA_DIR", str(tmp_path / "nothing"))
    get_settings.cache_clear()
    try:
        assert main(["snapshot", str(tmp_path / "copy")]) == 1
    finally:
        get_settings.cache_clear()
    assert "no index in" in capsys.readouterr().err
    assert not (tmp_path / "copy").exists() and not (tmp_path / "nothing").exists()
