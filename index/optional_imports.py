"""Import heavy or optional dependencies with a message that says how to get them."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from index.errors import SetupError


class MissingDependencyError(SetupError, ImportError):
    """A package this feature needs is not installed; the message names it."""


def require(module: str, package: str | None = None) -> Any:
    """Import ``module`` or raise an error naming the pip package to install."""
    try:
        imported: ModuleType = importlib.import_module(module)
    except ImportError as error:
        raise MissingDependencyError(
            f"Iqtibas needs the Python package '{package or module}' for this: "
            f"install it with `pip install {package or module}` "
            f"(or reinstall the project with `pip install -e .`). Import error: {error}"
        ) from error
    return imported
