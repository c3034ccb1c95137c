"""Every error Iqtibas raises on purpose shares one base, which says how the CLI ends."""

from __future__ import annotations

import pytest

from index.answerer import EmptyQuestionError
from index.article import InvalidArticleError
from index.errors import EXIT_BAD_INPUT, EXIT_FAILURE, IqtibasError
from index.manifest import IndexFormatError, ModelMismatchError
from index.optional_imports import MissingDependencyError
from index.readers import ArticleReadError
from service.cli import UsageError, main


@pytest.mark.parametrize(
    ("error_type", "exit_status"),
    [
        (InvalidArticleError, EXIT_BAD_INPUT),
        (ArticleReadError, EXIT_BAD_INPUT),
        (EmptyQuestionError, EXIT_BAD_INPUT),
        (UsageError, EXIT_BAD_INPUT),
        (IndexFormatError, EXIT_FAILURE),
        (ModelMismatchError, EXIT_FAILURE),
        (MissingDependencyError, EXIT_FAILURE),
    ],
)
def test_each_error_has_the_base_and_its_exit_status(
    error_type: type[IqtibasError], exit_status: int
) -> None:
    assert issubclass(error_type, IqtibasError)
    assert error_type.exit_status == exit_status


def test_the_cli_ends_with_the_errors_status_and_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import service.cli as cli

    def broken(*_: object) -> int:
        raise IndexFormatError("the index directory was made by a newer Iqtibas")

    monkeypatch.setattr(cli, "_command_info", broken)
    assert main(["info"]) == EXIT_FAILURE
    assert "newer Iqtibas" in capsys.readouterr().err
