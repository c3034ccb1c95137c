"""``iqtibas eval`` through the real command line; the model is swapped for the hashing one,
except in the slow smoke test."""

import json
from pathlib import Path

import pytest

from service.cli import main
from tests.conftest import HashingEmbedder
from tests.eval.squad_files import write_development_data

RATIO_KEYS = ("recall@1", "recall@10", "MRR@10", "nDCG@10", "quote_hit@1", "quote_hit@3")


@pytest.fixture
def fast_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.bootstrap.configured_embedder", lambda *_, **__: HashingEmbedder())


def _summaries(folder: Path) -> list[dict[str, float | None]]:
    saved = json.loads((folder / "results.json").read_text("utf-8"))
    return [c["summary"] for c in saved["configurations"]]


def test_eval_and_calibrate_from_the_command_line(
    fast_model: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_development_data(tmp_path / "data")
    out = tmp_path / "reports"
    common = ["--data-dir", str(data), "--quiet", "--holdback", "0.4"]
    assert main(["eval", "xquad-en-ar", "--out", str(out), "--config", "dense", *common]) == 0
    assert "| dense |" in capsys.readouterr().out
    assert {p.name for p in out.iterdir()} >= {"report.md", "results.json", "recall_at_k.png"}
    assert "iqtibas eval xquad-en-ar" in (out / "report.md").read_text("utf-8")

    rendered = tmp_path / "rendered"
    assert main(["eval", "--from-results", str(out / "results.json"), "--out", str(rendered)]) == 0
    assert (rendered / "report.md").read_text("utf-8") == (out / "report.md").read_text("utf-8")
    assert (rendered / "results.json").read_text("utf-8") == (out / "results.json").read_text(
        "utf-8"
    )

    calibration = tmp_path / "calibration"
    arguments = ["eval", "--calibrate", "--out", str(calibration)]
    assert main([*arguments, "--from-results", str(out / "results.json")]) == 0
    assert "Best threshold" in capsys.readouterr().out
    assert (calibration / "calibration.png").exists()
    assert main([*arguments, "xquad-ar", "arcd", "--config", "dense", *common]) == 0
    saved = json.loads((calibration / "calibration.json").read_text("utf-8"))
    assert saved["calibrations"][0]["datasets"] == ["xquad-ar", "arcd"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["eval"], "name a dataset"),
        (["eval", "--calibrate", "seed"], "seed gold set is held out"),
        (["eval", "seed", "--config", "x:nofield=1"], "no field 'nofield'"),
        (["eval", "seed", "--distractors", "wikipedia"], "unknown distractor"),
        (["eval", "seed", "--top-k", "1"], "at least 3"),
        (["eval", "seed", "--server", "http://x", "--config", "dense"], "own settings"),
        (["eval", "--from-results", "/nonexistent/results.json"], "cannot be read"),
        (["eval", "--calibrate", "--from-results", "/nonexistent/results.json"], "cannot be read"),
        (["eval", "seed", "--from-results", "results.json"], "not both"),
    ],
)
def test_bad_options_are_explained(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(arguments) == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_smoke_seed_with_the_real_model(tmp_path: Path) -> None:
    out = tmp_path / "seed"
    arguments = ["eval", "seed", "--distractors", "none", "--limit", "6", "--quiet"]
    assert main([*arguments, "--config", "dense", "--out", str(out)]) == 0
    for name in ("report.md", "results.json", "recall_at_k.png", "latency.png", "top_scores.png"):
        assert (out / name).stat().st_size > 0
    (summary,) = _summaries(out)
    assert summary["questions"] == 6
    for key in RATIO_KEYS:
        value = summary[key]
        assert value is not None and 0.0 <= value <= 1.0
    assert summary["recall@1"] == 1.0  # the seed article is the only one indexed
    latency = summary["latency_p50_ms"]
    assert latency is not None and 0 < latency <= (summary["latency_p95_ms"] or 0)
