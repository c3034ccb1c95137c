"""Several short texts in one sequence: one forward pass without padding each to the longest.

A question and its words are encoded together at question time. Batched, every word is
padded to the question's length, so five words cost five questions. Packed end to end, each
text keeps its own positions and attends only to itself (a block-diagonal mask), so its
vector is the one it would get alone, and the pass costs about one question plus the words'
few tokens. On one CPU thread most of a small model's forward pass is reading its weights,
which a second pass would pay again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from index.embedding.embedder import Matrix
from index.optional_imports import require

PackedEncoder = Callable[[Sequence[str]], Matrix]


def packed_encoder(model: Any) -> PackedEncoder | None:
    """An encoder for ``model`` (a SentenceTransformer), or None where packing is unsafe.

    Only the layout it was verified on: a BERT encoder with scaled-dot-product attention
    (which takes a boolean mask as given), mean pooling over every token, then optionally
    normalisation. Models with other position schemes (XLM-R offsets its positions) or
    pooling fall back to plain batches.
    """
    modules = list(model)
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
    torch = require("torch")

    def encode(texts: Sequence[str]) -> Matrix:
        features = transformer.preprocess(list(texts))
        lengths = features["attention_mask"].sum(dim=1).tolist()
        pieces = [row[:length] for row, length in zip(features["input_ids"], lengths, strict=True)]
        input_ids = torch.cat(pieces).unsqueeze(0)
        positions = torch.cat([torch.arange(length) for length in lengths]).unsqueeze(0)
        segment = torch.cat([torch.full((length,), index) for index, length in enumerate(lengths)])
        attend = (segment[:, None] == segment[None, :]).unsqueeze(0).unsqueeze(0)
        device = next(backbone.parameters()).device
        with torch.inference_mode():
            hidden = backbone(
                input_ids=input_ids.to(device),
                attention_mask=attend.to(device),
                position_ids=positions.to(device),
                token_type_ids=torch.zeros_like(input_ids).to(device),
            ).last_hidden_state[0]
            membership = torch.nn.functional.one_hot(segment, len(lengths)).to(hidden)
            means = (membership.T @ hidden) / membership.sum(dim=0).unsqueeze(1)
            vectors = torch.nn.functional.normalize(means, dim=-1)
        return np.asarray(vectors.cpu().numpy(), dtype=np.float32)

    return encode
