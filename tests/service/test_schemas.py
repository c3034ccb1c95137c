"""The contract's character rules agree with what the index does with the text."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from service.schemas import _SPACE, DocumentIn


def test_the_space_class_is_exactly_what_str_isspace_accepts() -> None:
    spaces = {chr(c) for c in range(0x110000) if chr(c).isspace()}
    matched = {chr(c) for c in range(0x110000) if re.fullmatch(f"[{_SPACE}]", chr(c))}
    assert matched == spaces


@pytest.mark.parametrize("blank", ["\x85", "\u3000", "\x1c\x1d", "\u2028 \t"])
def test_text_that_python_strips_to_nothing_is_refused(blank: str) -> None:
    with pytest.raises(ValidationError):
        DocumentIn.model_validate({"id": "x", "text": blank})
    with pytest.raises(ValidationError):
        DocumentIn.model_validate({"id": blank, "text": "x"})


@pytest.mark.parametrize("kept", ["\ufeffx", "a\u200bb", "ك"])
def test_text_with_a_visible_character_is_accepted(kept: str) -> None:
    assert DocumentIn.model_validate({"id": kept, "text": kept}).text == kept
