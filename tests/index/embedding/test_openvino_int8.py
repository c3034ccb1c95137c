"""The int8 model: calibrated on the committed texts, quantised once, cached beside the
float export."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from index.embedding import openvino_int8


class _FakeQuantisation:
    """nncf and openvino as the module uses them: records what was quantised from what."""

    def __init__(self) -> None:
        self.quantised: list[tuple[str, int]] = []
        self.ModelType = SimpleNamespace(TRANSFORMER="transformer")
        self.QuantizationPreset = SimpleNamespace(MIXED="mixed")
        self.__version__ = "fake"

    # nncf
    def Dataset(self, samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return samples

    def quantize(self, model: str, dataset: list[dict[str, Any]], **_options: Any) -> str:
        self.quantised.append((model, len(dataset)))
        return f"int8 of {model}"

    # openvino
    def Core(self) -> Any:
        return SimpleNamespace(read_model=lambda path: Path(path).read_text())

    def save_model(self, model: str, path: str, compress_to_fp16: bool = True) -> None:
        Path(path).write_text(model)

    def get_version(self) -> str:
        return "fake"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> _FakeQuantisation:
    quantisation = _FakeQuantisation()
    monkeypatch.setattr(openvino_int8, "require", lambda *_args: quantisation)
    return quantisation


def test_the_calibration_texts_carry_the_prompt_each_kind_is_encoded_with() -> None:
    texts = openvino_int8.calibration_texts("query: ", "passage: ")
    assert len(texts) >= 300
    assert sum(text.startswith("passage: ") for text in texts) >= 150
    assert sum(text.startswith("query: ") for text in texts) >= 80
    words = [text for text in texts if not text.startswith(("query: ", "passage: "))]
    assert words and all(" " not in word for word in words)


def test_the_int8_model_is_quantised_once_and_reused(
    fake: _FakeQuantisation, tmp_path: Path
) -> None:
    float_dir = tmp_path / "e5-openvino-v1"
    float_dir.mkdir()
    (float_dir / "model.xml").write_text("float graph")
    calls: list[int] = []

    def pieces() -> Sequence[Sequence[int]]:
        calls.append(1)
        return [[0, 5, 2], [0, 6, 7, 2]]

    final = openvino_int8.int8_dir_for(float_dir)
    assert final.parent == tmp_path and final.name.startswith("e5-openvino-v1-int8-v")
    first = openvino_int8.ensure_int8_model(float_dir / "model.xml", final, pieces)
    assert first.read_text() == "int8 of float graph"
    assert fake.quantised == [("float graph", 2)]
    again = openvino_int8.ensure_int8_model(float_dir / "model.xml", final, pieces)
    assert again == first and len(fake.quantised) == 1 and calls == [1]
    assert (final / openvino_int8.COMPLETE_MARKER).is_file()


def test_a_failed_quantisation_leaves_nothing_that_looks_finished(
    fake: _FakeQuantisation, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "model.xml").write_text("float graph")

    def broken(*_args: Any, **_options: Any) -> str:
        raise RuntimeError("calibration failed")

    monkeypatch.setattr(fake, "quantize", broken)
    final = tmp_path / "int8"
    with pytest.raises(RuntimeError, match="calibration failed"):
        openvino_int8.ensure_int8_model(tmp_path / "model.xml", final, lambda: [[0, 2]])
    assert not final.exists()
