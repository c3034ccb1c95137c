"""Build the texts that calibrate the int8 model (``index/embedding/int8_calibration.jsonl``).

Static int8 quantisation measures the range of every activation on sample inputs; the
samples must look like what the service encodes: Arabic news passages and sentences, Arabic
and English questions, single words for the lexicon. They come from development data only,
and not from XQuAD (the throughput benchmark's data): ARCD train paragraphs and questions,
NTREX-dev sentences in Arabic and English and their words. A fixed seed makes the file
reproducible; it is committed, so an offline install quantises without any data folder.

    python -m eval.int8_calibration            # rewrites index/embedding/int8_calibration.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from eval.datasets import default_data_dir

OUTPUT = Path(__file__).resolve().parent.parent / "index" / "embedding" / "int8_calibration.jsonl"
ATTRIBUTION = (
    "ARCD (Mozannar et al. 2019, MIT) and NTREX-128 newstest2019 (Federmann et al. 2022, "
    "CC BY-SA 4.0); selected by eval/int8_calibration.py"
)
# kind -> how many samples; the prompt each kind is encoded with comes from the model
COUNTS = {"passage": 90, "sentence": 90, "query_ar": 50, "query_en": 50, "word": 40}
_WORD = re.compile(r"^\w{3,}$")


def build(data_dir: Path, seed: int = 0) -> list[dict[str, str]]:
    rng = random.Random(seed)
    arcd = json.loads((data_dir / "arcd" / "arcd-train.json").read_text(encoding="utf-8"))
    paragraphs = [p for article in arcd["data"] for p in article["paragraphs"]]
    contexts = [p["context"] for p in paragraphs]
    arabic_questions = [qa["question"].strip() for p in paragraphs for qa in p["qas"]]
    ntrex = [
        json.loads(line)
        for line in (data_dir / "ntrex" / "ntrex-dev.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
        if line.strip()
    ]
    arabic_sentences = [s["ar"] for article in ntrex for s in article["sentences"] if s["ar"]]
    english_sentences = [s["en"] for article in ntrex for s in article["sentences"] if s["en"]]
    words = sorted(
        {word for sentence in arabic_sentences + english_sentences for word in sentence.split()}
    )
    pools = {
        "passage": contexts,
        "sentence": arabic_sentences,
        "query_ar": arabic_questions,
        "query_en": english_sentences,
        "word": [word for word in words if _WORD.match(word)],
    }
    samples = []
    for kind, count in COUNTS.items():
        for text in rng.sample(pools[kind], count):
            samples.append({"kind": kind, "text": text})
    return samples


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    samples = build(args.data_dir or default_data_dir())
    lines = [json.dumps({"source": ATTRIBUTION}, ensure_ascii=False)]
    lines += [json.dumps(sample, ensure_ascii=False) for sample in samples]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(samples)} calibration texts to {args.out}")


if __name__ == "__main__":
    main()
