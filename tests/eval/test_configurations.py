import pytest

from eval.configurations import (
    PRESETS,
    Configuration,
    ConfigurationError,
    parse_configuration,
    parse_configurations,
)
from index.answerer import AnswerConfig


def test_presets_apply_to_the_base_configuration() -> None:
    base = AnswerConfig(quote_chunks=25, abstain_threshold=0.7)
    assert PRESETS["default"].apply(base) == base
    dense = parse_configuration("dense").apply(base)
    assert dense.retrieval.lexical_chunks == 0 and not dense.lexical
    assert dense.quote_chunks == 25 and dense.abstain_threshold == 0.7
    assert parse_configuration("no-translation").apply(base).translation is None
    for preset in PRESETS.values():
        preset.apply(base)  # every preset names real fields


def test_named_overrides_with_dotted_fields() -> None:
    configuration = parse_configuration(
        "mine: quotes.sentence_weight=0.5, retrieval.dense_chunks=7, quote_chunks=9"
    )
    config = configuration.apply(AnswerConfig())
    assert configuration.name == "mine"
    assert config.quotes.sentence_weight == 0.5 and config.retrieval.dense_chunks == 7
    assert config.quote_chunks == 9
    assert config.quotes.pair_margin == AnswerConfig().quotes.pair_margin
    assert configuration.describe() == (
        "quotes.sentence_weight=0.5, retrieval.dense_chunks=7, quote_chunks=9"
    )


def test_optional_nested_settings_can_be_turned_off() -> None:
    off = parse_configuration("x:translation=none").apply(AnswerConfig())
    assert off.translation is None
    tuned = parse_configuration("y:translation.per_word=3").apply(AnswerConfig())
    assert tuned.translation is not None and tuned.translation.per_word == 3
    with pytest.raises(ConfigurationError, match="has no fields"):
        Configuration("z", (("translation.per_word", "3"),)).apply(off)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nosuchpreset", "unknown configuration"),
        ("x:retriver=bm25", "no field 'retriver'"),
        ("x:quote_chunks=many", "not a valid int"),
        ("x:quotes.sentence_weight=high", "not a valid float"),
        ("x:quotes.nope=1", "QuoteConfig has no field 'nope'"),
        ("x:quote_chunks.deeper=1", "has no fields"),
        ("x:quote_chunks", "not field=value"),
        (":quote_chunks=3", "no name"),
    ],
)
def test_bad_configurations_are_explained(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_configuration(text)


def test_names_must_differ() -> None:
    with pytest.raises(ConfigurationError, match="must differ"):
        parse_configurations(["dense", "dense:quote_chunks=5"])
