"""The ``iqtibas eval`` command (placeholder until the evaluation package lands)."""

from __future__ import annotations

import argparse
from typing import Any


def add_eval_command(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser("eval", help="measure answer quality")
    parser.set_defaults(handler=_not_available)


def _not_available(arguments: argparse.Namespace, settings: object) -> int:
    raise SystemExit("iqtibas eval is not available yet")
