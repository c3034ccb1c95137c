"""The one base type of Iqtibas's own errors, so that a caller (the CLI) catches them in one
place and knows how to end: bad input the user can fix, or a problem of the installation or
the index directory."""

from __future__ import annotations

# exit statuses, as the CLI reports them
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


class IqtibasError(Exception):
    """An expected failure whose message is written for the user; never a bug."""

    exit_status = EXIT_FAILURE


class InputError(IqtibasError, ValueError):
    """The input (an article, a question, a file, an argument) cannot be used as given."""

    exit_status = EXIT_BAD_INPUT


class SetupError(IqtibasError, RuntimeError):
    """The installation or the index directory is not in a state Iqtibas can work with."""
