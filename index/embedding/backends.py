"""Which engine runs the embedding model: the names ``IQTIBAS_EMBEDDING_BACKEND`` accepts.

Measured on XQuAD-dev with multilingual-e5-small on 2 cores with AMX (see
``eval/reports/throughput/``): bf16 matmuls are about 2.5-3x faster than fp32 for passages
and give vectors with cosine >= 0.9999 to fp32's; OpenVINO runs the same bf16 maths with
less overhead per call, which shortens one question. Without AMX bf16 is slower than fp32:
on a 2-core CPU with AVX512-BF16 but no AMX, OpenVINO encoded 6.9 XQuAD paragraphs/s in
bf16 and 10.5-11.6 in fp32 (2026-12-02), and CPUs without either emulate bf16. So bf16 is
used only where the CPU has AMX.

- ``torch``: PyTorch fp32, the reference.
- ``torch-bf16``: PyTorch with the encoder's weights in bf16, pooling in fp32.
- ``openvino``: an OpenVINO model exported once from the same folder (the ``openvino``
  extra); bf16 inference where the CPU has AMX, fp32 otherwise.
- ``openvino-int8``: that model quantised to int8 weights and activations (NNCF, calibrated
  on committed texts, once); on a 2-core CPU with VNNI but no AMX (2026-12-03) one call
  encoded passages 2.0x and words 2.4x as fast as torch fp32, at the reports' quality.
- ``auto``: ``openvino`` where the CPU has AMX (bf16 is as fast there and exact to 1e-4);
  ``openvino-int8`` where it has int8 dot products (VNNI) but no AMX; ``openvino`` fp32
  elsewhere; without the package, ``torch-bf16`` with AMX, else ``torch``.
"""

from __future__ import annotations

import importlib.util
import platform
from functools import lru_cache
from pathlib import Path

TORCH = "torch"
TORCH_BF16 = "torch-bf16"
OPENVINO = "openvino"
OPENVINO_INT8 = "openvino-int8"
AUTO = "auto"
BACKENDS = (AUTO, TORCH, TORCH_BF16, OPENVINO, OPENVINO_INT8)
CONCRETE_BACKENDS = (TORCH, TORCH_BF16, OPENVINO, OPENVINO_INT8)

_FAST_BF16_FLAGS = frozenset({"amx_bf16"})
_FAST_INT8_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


def check_backend(backend: str) -> str:
    """``backend`` normalised, or a ValueError that lists the names."""
    name = backend.strip().lower()
    if name not in BACKENDS:
        raise ValueError(
            f"unknown embedding backend {backend!r}; the backends are: {', '.join(BACKENDS)} "
            "(IQTIBAS_EMBEDDING_BACKEND)"
        )
    return name


def resolve_backend(backend: str) -> str:
    """The concrete backend that ``backend`` names on this machine (``auto`` decided here)."""
    name = check_backend(backend)
    if name != AUTO:
        return name
    flags = cpu_flags_here()
    if openvino_installed():
        if not bf16_is_fast(flags) and int8_is_fast(flags) and nncf_installed():
            return OPENVINO_INT8
        return OPENVINO
    return TORCH_BF16 if bf16_is_fast(flags) else TORCH


def openvino_installed() -> bool:
    return importlib.util.find_spec("openvino") is not None


def nncf_installed() -> bool:
    return importlib.util.find_spec("nncf") is not None


def cpu_has_fast_bf16() -> bool:
    """True where bf16 is faster than fp32 here: the CPU has AMX (read from /proc/cpuinfo);
    elsewhere (other systems, unreadable) False, the safe answer."""
    return bf16_is_fast(cpu_flags_here())


@lru_cache(maxsize=1)
def cpu_flags_here() -> frozenset[str]:
    """This CPU's feature flags on Linux; empty elsewhere, which picks the safe fp32."""
    if platform.system() != "Linux":
        return frozenset()
    return cpu_flags(Path("/proc/cpuinfo"))


def bf16_is_fast(flags: frozenset[str]) -> bool:
    return bool(_FAST_BF16_FLAGS & flags)


def int8_is_fast(flags: frozenset[str]) -> bool:
    return bool(_FAST_INT8_FLAGS & flags)


def cpu_flags(cpuinfo: Path) -> frozenset[str]:
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()
