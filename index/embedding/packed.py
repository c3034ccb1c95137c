"""Several short texts in one sequence: one forward pass without padding each to the longest.

A question and its words are encoded together at question time. Batched, every word is
padded to the question's length, so five words cost five questions. Packed end to end, each
text keeps its own positions and attends only to itself (a block-diagonal mask), so its
vector is the one it would get alone, and the pass costs about one question plus the words'
few tokens. On one CPU thread most of a small model's forward pass is reading its weights,
which a second pass would pay again. The pass itself is ``TorchRuntime.packed``; it runs in
the backbone's dtype (fp32 or bf16) and pools in fp32.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from index.embedding.embedder import Matrix
from index.embedding.runtime import TorchRuntime

PackedEncoder = Callable[[Sequence[str]], Matrix]


def bert_mean_layout(model: Any) -> tuple[Any, Any] | None:
    """``(transformer module, BertModel)`` of ``model`` (a SentenceTransformer) when it has
    the layout that packing, the token-budget batches and the exported backends were
    verified on, else None.

    That layout: a BERT encoder with scaled-dot-product attention (which takes a boolean
    mask as given), mean pooling over every token, then optionally normalisation. Models
    with other position schemes (XLM-R offsets its positions) or pooling fall back to plain
    sentence-transformers batches.
    """
    try:
        modules = list(model)
    except TypeError:
        return None
    if len(modules) not in (2, 3):
        return None
    transformer, pooling = modules[0], modules[1]
    backbone: Any = getattr(transformer, "auto_model", None)
    if type(backbone).__name__ != "BertModel":
        return None
    if getattr(backbone.config, "_attn_implementation", None) != "sdpa":
        return None
    if getattr(pooling, "pooling_mode", None) != "mean" or not getattr(
        pooling, "include_prompt", True
    ):
        return None
    if len(modules) == 3 and type(modules[2]).__name__ != "Normalize":
        return None
    return transformer, backbone


def packed_encoder(model: Any) -> PackedEncoder | None:
    """An encoder for ``model`` (a SentenceTransformer), or None where packing is unsafe."""
    layout = bert_mean_layout(model)
    if layout is None:
        return None
    transformer, backbone = layout
    runtime = TorchRuntime(backbone)

    def encode(texts: Sequence[str]) -> Matrix:
        features = transformer.preprocess(list(texts))
        lengths = features["attention_mask"].sum(dim=1).tolist()
        pieces = [
            row[:length].tolist()
            for row, length in zip(features["input_ids"], lengths, strict=True)
        ]
        return runtime.packed(pieces)

    return encode
