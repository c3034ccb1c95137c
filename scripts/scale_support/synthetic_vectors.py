"""Noisy copies of real embedding vectors: many vectors with the real model's neighbourhood
structure, for measuring approximate search at a million-vector scale.

Each synthetic vector is ``normalise(m + sigma * n)``: ``m`` a mix ``(1 - t) b_i + t b_j`` of a
real passage vector ``b_i`` and one of its 10 nearest real neighbours ``b_j`` (``t`` uniform in
[0, 0.5]), so the copies fill the space between real neighbours instead of sitting in 3,000
tight balls; ``n`` Gaussian noise with the covariance of the real vectors, so the copies keep
the model's anisotropy (e5 vectors share a large common direction) instead of being spread
isotropically. ``sigma`` is set so that a copy is, on average, as similar to its source as a
real passage is to its nearest real neighbour (the median nearest-neighbour cosine of the real
passages): the copies are as far apart as real texts are, not near-duplicates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
NEIGHBOURS = 10
MAX_MIX = 0.5


def normalise(matrix: Matrix) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


@dataclass(frozen=True)
class NoiseModel:
    base: Matrix  # real unit vectors
    neighbours: npt.NDArray[np.int64]  # (len(base), NEIGHBOURS) nearest other base rows
    noise_basis: Matrix  # (d, d): z @ noise_basis has the covariance of the base vectors
    sigma: float
    target_cosine: float  # median nearest-neighbour cosine of the real vectors

    @classmethod
    def fit(cls, base: Matrix) -> NoiseModel:
        similarities = base @ base.T
        np.fill_diagonal(similarities, -np.inf)
        neighbours = np.argsort(-similarities, axis=1)[:, :NEIGHBOURS]
        target = float(np.median(similarities.max(axis=1)))
        covariance = np.cov(base, rowvar=False).astype(np.float64)
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        basis = (eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))).T.astype(np.float32)
        model = cls(base, neighbours, basis, 1.0, target)
        return model.with_sigma(model._calibrated_sigma())

    def with_sigma(self, sigma: float) -> NoiseModel:
        return NoiseModel(self.base, self.neighbours, self.noise_basis, sigma, self.target_cosine)

    def _calibrated_sigma(self) -> float:
        """Bisection on sigma: mean cosine(copy, its mix) equals the real NN cosine."""
        low, high = 0.0, 20.0
        for _ in range(30):
            middle = (low + high) / 2
            if self.with_sigma(middle).mean_copy_cosine() > self.target_cosine:
                low = middle
            else:
                high = middle
        return (low + high) / 2

    def mean_copy_cosine(self, samples: int = 4000) -> float:
        rng = np.random.default_rng(12345)
        mixes, copies = self._draw(rng, samples)
        return float(np.mean(np.sum(normalise(mixes) * copies, axis=1)))

    def _draw(self, rng: np.random.Generator, count: int) -> tuple[Matrix, Matrix]:
        rows = rng.integers(0, len(self.base), count)
        partners = self.neighbours[rows, rng.integers(0, NEIGHBOURS, count)]
        mix = rng.uniform(0.0, MAX_MIX, (count, 1)).astype(np.float32)
        mixes = (1 - mix) * self.base[rows] + mix * self.base[partners]
        noise = rng.standard_normal((count, self.base.shape[1]), dtype=np.float32)
        return mixes, normalise(mixes + self.sigma * (noise @ self.noise_basis))

    def batches(self, count: int, seed: int, batch: int = 100_000) -> Iterator[Matrix]:
        """``count`` synthetic unit vectors, deterministic for a seed, in batches."""
        rng = np.random.default_rng(seed)
        for begin in range(0, count, batch):
            yield self._draw(rng, min(batch, count - begin))[1]

    def generate(self, count: int, seed: int) -> Matrix:
        out = np.empty((count, self.base.shape[1]), np.float32)
        begin = 0
        for block in self.batches(count, seed):
            out[begin : begin + len(block)] = block
            begin += len(block)
        return out


def exact_top_k(data: Matrix, queries: Matrix, k: int, block: int = 200_000) -> np.ndarray:
    """Exact inner-product top ``k`` ids per query (blocked matrix products)."""
    best_scores = np.full((len(queries), 0), -np.inf, np.float32)
    best_ids = np.zeros((len(queries), 0), np.int64)
    for begin in range(0, len(data), block):
        scores = queries @ data[begin : begin + block].T
        take = min(k, scores.shape[1])
        part = np.argpartition(-scores, take - 1, axis=1)[:, :take]
        best_scores = np.hstack([best_scores, np.take_along_axis(scores, part, axis=1)])
        best_ids = np.hstack([best_ids, part + begin])
        keep = np.argsort(-best_scores, axis=1)[:, :k]
        best_scores = np.take_along_axis(best_scores, keep, axis=1)
        best_ids = np.take_along_axis(best_ids, keep, axis=1)
    return best_ids


def rerank(
    candidates: np.ndarray, query: Matrix, stored: npt.NDArray[np.float16], k: int
) -> np.ndarray:
    """The best ``k`` of ``candidates`` (ids, -1 = none) by inner product with fp16 vectors."""
    ids = candidates[candidates >= 0]
    scores = stored[ids].astype(np.float32) @ query
    return ids[np.argsort(-scores)[:k]]


def recall(found: list[np.ndarray], truth: np.ndarray) -> float:
    k = truth.shape[1]
    hits = [len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth, strict=True)]
    return float(np.sum(hits) / (k * len(truth)))


def similarity_profile(data: Matrix, queries: Matrix, ranks: tuple[int, ...]) -> dict[str, float]:
    """Median cosine of the queries' rank-r exact neighbours: how dense the neighbourhoods are."""
    k = max(ranks)
    ids = exact_top_k(data, queries, k)
    scores = np.sum(data[ids] * queries[:, None, :], axis=2)
    return {f"rank_{r}": round(float(np.median(scores[:, r - 1])), 4) for r in ranks}
