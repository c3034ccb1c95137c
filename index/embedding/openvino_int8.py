"""The OpenVINO model with int8 weights and activations, quantised once and cached.

Static quantisation (NNCF) measures each activation's range on the committed calibration
texts (``int8_calibration.jsonl``: Arabic passages, sentences and questions, English
sentences, words; built by ``eval/int8_calibration.py`` from development data), so it runs
offline. Its matmuls then run on the CPU's int8 instructions (VNNI), 2-4x the fp32 speed,
with vectors at cosine >= 0.99 to fp32's (the throughput report has the quality measured on
XQuAD and ARCD). Like the fp16 export it is a folder built once (cached_folder.py).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from index.embedding.cached_folder import build_once
from index.optional_imports import require

# Bump whenever the quantisation recipe changes, so an old model is never reused.
INT8_VERSION = 1
COMPLETE_MARKER = "OPENVINO_INT8_COMPLETE"
MODEL_XML = "model.xml"
NNCF_PACKAGE = "nncf"
CALIBRATION_FILE = "int8_calibration.jsonl"


def calibration_texts(query_prefix: str, passage_prefix: str) -> list[str]:
    """The calibration texts with the prompts they are encoded with in the service."""
    lines = resources.files("index.embedding").joinpath(CALIBRATION_FILE).read_text("utf-8")
    prefixes = {
        "passage": passage_prefix,
        "sentence": passage_prefix,
        "query_ar": query_prefix,
        "query_en": query_prefix,
        "word": "",
    }
    texts = []
    for line in lines.splitlines():
        sample = json.loads(line)
        if "kind" in sample:
            texts.append(prefixes[sample["kind"]] + sample["text"])
    return texts


def int8_dir_for(float_dir: Path) -> Path:
    """Where the int8 model quantised from the float export in ``float_dir`` lives."""
    recipe = resources.files("index.embedding").joinpath(CALIBRATION_FILE).read_bytes()
    digest = hashlib.sha256(recipe).hexdigest()[:8]
    return float_dir.parent / f"{float_dir.name}-int8-v{INT8_VERSION}-{digest}"


def ensure_int8_model(
    float_xml: Path, final: Path, calibration_pieces: Callable[[], Sequence[Sequence[int]]]
) -> Path:
    """The path of ``final``'s model.xml, quantising ``float_xml`` there first unless a
    complete one is in place. ``calibration_pieces`` gives the calibration texts' token ids
    (called only when quantising)."""
    if (final / COMPLETE_MARKER).is_file():
        return final / MODEL_XML
    nncf = require(NNCF_PACKAGE)
    openvino = require("openvino")

    def build(staging: Path) -> dict[str, Any]:
        started = time.monotonic()
        samples = [_inputs(piece) for piece in calibration_pieces()]
        quantized = nncf.quantize(
            openvino.Core().read_model(str(float_xml)),
            nncf.Dataset(samples),
            subset_size=len(samples),
            model_type=nncf.ModelType.TRANSFORMER,
            preset=nncf.QuantizationPreset.MIXED,
        )
        openvino.save_model(quantized, str(staging / MODEL_XML), compress_to_fp16=False)
        return {
            "int8": INT8_VERSION,
            "nncf": str(nncf.__version__),
            "openvino": str(openvino.get_version()),
            "calibration_texts": len(samples),
            "seconds": round(time.monotonic() - started, 1),
        }

    build_once(final, COMPLETE_MARKER, build)
    return final / MODEL_XML


def _inputs(piece: Sequence[int]) -> dict[str, Any]:
    ids = np.asarray([list(piece)], dtype=np.int64)
    return {
        "input_ids": ids,
        "position_ids": np.arange(ids.shape[1], dtype=np.int64)[None, :],
        "segment_ids": np.ones_like(ids),
    }
