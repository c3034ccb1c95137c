"""Every answering setting reaches the AnswerConfig that the service and eval use."""

from index.answerer import AnswerConfig
from service.bootstrap import answer_config, limit_threads
from service.settings import Settings


def test_defaults_are_the_answer_config_defaults() -> None:
    assert answer_config(Settings()) == AnswerConfig()


def test_settings_from_the_environment_reach_the_answer_config(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name, value in {
        "IQTIBAS_ABSTAIN_THRESHOLD_LATIN": "0.7",
        "IQTIBAS_RETRIEVAL_LEXICAL_CHUNKS": "0",
        "IQTIBAS_QUOTE_LEXICAL_WEIGHT": "0.3",
        "IQTIBAS_TRANSLATE_QUERY_WORDS": "false",
        "IQTIBAS_QUOTE_PAIR_MARGIN": "0.02",
        "IQTIBAS_QUOTE_ARTICLE_PAIR_MARGIN": "0.03",
        "IQTIBAS_RANKING": "learned",
        "IQTIBAS_ABSTENTION": "learned",
    }.items():
        monkeypatch.setenv(name, value)
    config = answer_config(Settings())
    assert config.abstain_threshold_latin == 0.7
    assert config.retrieval.lexical_chunks == 0
    assert config.quotes.lexical_weight == 0.3
    assert config.quotes.pair_margin == 0.02
    assert config.quotes.article_pair_margin == 0.03
    assert config.translation is None
    assert config.ranking == "learned" and config.abstention == "learned"


def test_limit_threads_caps_torch_and_every_blas_pool() -> None:
    import threadpoolctl
    import torch  # heavy: only this test needs it

    torch_before = torch.get_num_threads()
    pools_before = threadpoolctl.threadpool_info()
    try:
        limit_threads(1)
        assert torch.get_num_threads() == 1
        blas = [pool for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]
        assert blas, "numpy and FAISS load at least one BLAS"
        assert all(pool["num_threads"] == 1 for pool in blas)
    finally:
        torch.set_num_threads(torch_before)
        threadpoolctl.threadpool_limits(limits=pools_before)


def test_an_unknown_ranking_is_refused_with_the_choices(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pydantic
    import pytest

    monkeypatch.setenv("IQTIBAS_RANKING", "bm25")
    with pytest.raises(pydantic.ValidationError, match="learned-first-quote"):
        Settings()


def test_learned_abstention_with_the_weighted_ranking_is_refused(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pydantic
    import pytest

    monkeypatch.setenv("IQTIBAS_RANKING", "weighted")
    monkeypatch.setenv("IQTIBAS_ABSTENTION", "learned")
    with pytest.raises(pydantic.ValidationError, match="needs a learned ranking"):
        Settings()
