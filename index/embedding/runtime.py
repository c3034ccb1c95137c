"""The forward pass of a BERT encoder with mean pooling, run by PyTorch or OpenVINO.

Texts are tokenised once, sorted by length and cut into batches under a token budget, so a
batch pads its rows to a length close to their own (the padding a 20-token sentence pays
beside a 500-token paragraph is gone) and a batch of short texts holds many rows. Pooling
and normalisation are done in fp32 whatever the matmuls ran in.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from index.embedding.embedder import Matrix
from index.optional_imports import require

IdMatrix = npt.NDArray[np.int64]

# Rows x padded length of one batch. Measured on 2 cores: in bf16 and fp32, 2048 tokens was
# faster per token than 4096 or 8192 (which spill the caches) and a little faster than 512;
# in int8 512, 1024 and 2048 were alike (XQuAD-dev passages, within the machine's noise).
# Since an ingest's calls occupy every stream, a question can wait behind one batch:
# with 1024 the askers' p95 during an ingest was 1.23x idle, with 2048 1.85x.
DEFAULT_BATCH_TOKENS = 1024


class EncoderRuntime(Protocol):
    """Token ids in, unit vectors (mean of the last hidden states) out."""

    # How many ``pooled`` calls may run at once to good effect: a runtime whose calls use
    # one core each and release the GIL (OpenVINO streams) encodes a long list on every
    # core; torch already spreads one call over its threads.
    concurrent_calls: int

    def pooled(self, input_ids: IdMatrix, attention_mask: IdMatrix) -> Matrix: ...

    def packed(self, pieces: Sequence[Sequence[int]]) -> Matrix | None:
        """Several sequences in one unpadded pass (see packed.py), or None where the
        runtime cannot, and the caller batches them instead."""
        ...


def encode_token_lists(
    runtime: EncoderRuntime,
    pieces: Sequence[Sequence[int]],
    dimension: int,
    pad_id: int,
    max_rows: int = 64,
    max_tokens: int = DEFAULT_BATCH_TOKENS,
    progress: Callable[[int], None] | None = None,
) -> Matrix:
    """Vectors of ``pieces`` (token id lists) in their order, longest batches first, up
    to ``runtime.concurrent_calls`` batches at a time."""
    if not pieces:
        return np.zeros((0, dimension), dtype=np.float32)
    order = sorted(range(len(pieces)), key=lambda index: -len(pieces[index]))
    result = np.empty((len(pieces), dimension), dtype=np.float32)

    def encode(batch: range) -> tuple[list[int], Matrix]:
        rows = [order[position] for position in batch]
        width = max(len(pieces[row]) for row in rows)
        input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
        attention_mask = np.zeros((len(rows), width), dtype=np.int64)
        for line, row in enumerate(rows):
            length = len(pieces[row])
            input_ids[line, :length] = pieces[row]
            attention_mask[line, :length] = 1
        return rows, runtime.pooled(input_ids, attention_mask)

    calls = max(1, runtime.concurrent_calls)
    # a short list (one commit group's new words) still spreads over every call
    max_rows = max(1, min(max_rows, -(-len(pieces) // calls)))
    batches = length_batches([len(pieces[index]) for index in order], max_rows, max_tokens)
    workers = min(len(batches), calls)
    with contextlib.ExitStack() as stack:
        if workers > 1:
            pool = stack.enter_context(ThreadPoolExecutor(workers, "encode"))
            encoded: Iterable[tuple[list[int], Matrix]] = pool.map(encode, batches)
        else:
            encoded = map(encode, batches)
        for rows, vectors in encoded:
            result[rows] = vectors
            if progress is not None:
                progress(len(rows))
    return result


def length_batches(lengths: Sequence[int], max_rows: int, max_tokens: int) -> list[range]:
    """Consecutive positions of ``lengths`` (sorted longest first) grouped so that a batch
    has at most ``max_rows`` rows and rows x its first (longest) length <= ``max_tokens``;
    a text longer than the budget goes alone."""
    batches: list[range] = []
    start = 0
    while start < len(lengths):
        rows = max(1, min(max_rows, max_tokens // max(1, lengths[start])))
        end = min(len(lengths), start + rows)
        batches.append(range(start, end))
        start = end
    return batches


class TorchRuntime:
    """The backbone (a transformers BertModel) in its own dtype: fp32 or bf16."""

    concurrent_calls = 1

    def __init__(self, backbone: Any) -> None:
        self._backbone = backbone
        self._torch = require("torch")

    def pooled(self, input_ids: IdMatrix, attention_mask: IdMatrix) -> Matrix:
        torch = self._torch
        ids = torch.from_numpy(input_ids)
        mask = torch.from_numpy(attention_mask)
        with torch.inference_mode():
            hidden = self._backbone(
                input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
            ).last_hidden_state.float()
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            means = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
            vectors = torch.nn.functional.normalize(means, dim=-1)
        return np.asarray(vectors.numpy(), dtype=np.float32)

    def packed(self, pieces: Sequence[Sequence[int]]) -> Matrix:
        torch = self._torch
        lengths = [len(piece) for piece in pieces]
        input_ids = torch.tensor([token for piece in pieces for token in piece]).unsqueeze(0)
        positions = torch.cat([torch.arange(length) for length in lengths]).unsqueeze(0)
        segment = torch.cat([torch.full((length,), index) for index, length in enumerate(lengths)])
        attend = (segment[:, None] == segment[None, :]).unsqueeze(0).unsqueeze(0)
        with torch.inference_mode():
            hidden = (
                self._backbone(
                    input_ids=input_ids,
                    attention_mask=attend,
                    position_ids=positions,
                    token_type_ids=torch.zeros_like(input_ids),
                )
                .last_hidden_state[0]
                .float()
            )
            membership = torch.nn.functional.one_hot(segment, len(lengths)).to(hidden)
            means = (membership.T @ hidden) / membership.sum(dim=0).unsqueeze(1)
            vectors = torch.nn.functional.normalize(means, dim=-1)
        return np.asarray(vectors.numpy(), dtype=np.float32)


class OpenVINORuntime:
    """A compiled OpenVINO model of the exported graph (see openvino_export.py): hidden
    states out, pooled here in fp32.

    An infer request serves one call at a time; the service answers questions on several
    threads, so each call borrows a request from a small pool. ``concurrent_calls`` is how
    many calls a long encode runs at once (openvino_export.bulk_calls: one per core, so a
    question may wait for one batch; see compile_openvino).
    """

    def __init__(self, compiled: Any, concurrent_calls: int = 1) -> None:
        self._compiled = compiled
        self.concurrent_calls = concurrent_calls
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    def pooled(self, input_ids: IdMatrix, attention_mask: IdMatrix) -> Matrix:
        positions = np.broadcast_to(np.arange(input_ids.shape[1], dtype=np.int64), input_ids.shape)
        hidden = self._hidden(input_ids, np.ascontiguousarray(positions), attention_mask)
        weights = attention_mask[:, :, None].astype(np.float32)
        means = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        return _unit_rows(means)

    def packed(self, pieces: Sequence[Sequence[int]]) -> Matrix:
        lengths = [len(piece) for piece in pieces]
        input_ids = np.fromiter((t for piece in pieces for t in piece), dtype=np.int64)[None, :]
        positions = np.concatenate([np.arange(length, dtype=np.int64) for length in lengths])
        segments = np.repeat(np.arange(1, len(lengths) + 1, dtype=np.int64), lengths)
        hidden = self._hidden(input_ids, positions[None, :], segments[None, :])[0]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        means = np.add.reduceat(hidden, starts, axis=0) / np.asarray(lengths, np.float32)[:, None]
        return _unit_rows(means)

    def _hidden(self, input_ids: IdMatrix, positions: IdMatrix, segments: IdMatrix) -> Matrix:
        with self._lock:
            request = self._idle.pop() if self._idle else self._compiled.create_infer_request()
        try:
            outputs = request.infer(
                {"input_ids": input_ids, "position_ids": positions, "segment_ids": segments}
            )
            hidden = np.array(outputs[0], dtype=np.float32)
        finally:
            with self._lock:
                self._idle.append(request)
        return hidden


def _unit_rows(matrix: npt.NDArray[np.floating[Any]]) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.maximum(norms, 1e-12), dtype=np.float32)
