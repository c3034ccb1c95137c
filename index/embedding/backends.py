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
- ``auto``: ``openvino`` when the package is installed, else ``torch-bf16`` where the CPU
  has AMX, else ``torch``.
"""

from __future__ import annotations

import importlib.util
import platform
from functools import lru_cache
from pathlib import Path

TORCH = "torch"
TORCH_BF16 = "torch-bf16"
OPENVINO = "openvino"
AUTO = "auto"
BACKENDS = (AUTO, TORCH, TORCH_BF16, OPENVINO)
CONCRETE_BACKENDS = (TORCH, TORCH_BF16, OPENVINO)

_FAST_BF16_FLAGS = frozenset({"amx_bf16"})


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
    if openvino_installed():
        return OPENVINO
    return TORCH_BF16 if cpu_has_fast_bf16() else TORCH


def openvino_installed() -> bool:
    return importlib.util.find_spec("openvino") is not None


@lru_cache(maxsize=1)
def cpu_has_fast_bf16() -> bool:
    """True where bf16 is faster than fp32 here: the CPU has AMX (read from /proc/cpuinfo);
    elsewhere (other systems, unreadable) False, the safe answer."""
    if platform.system() != "Linux":
        return False
    return bf16_is_fast(cpu_flags(Path("/proc/cpuinfo")))


def bf16_is_fast(flags: frozenset[str]) -> bool:
    return bool(_FAST_BF16_FLAGS & flags)


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
