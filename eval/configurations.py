"""Retrieval configurations compared in one run: named sets of AnswerConfig overrides.

All configurations of a run share one index: they differ only in what happens at question
time. ``--config NAME`` picks a preset below; ``--config NAME:field=value,field=value`` defines
one, with dotted fields for nested settings (``quotes.sentence_weight=0.5``). A new option of
AnswerConfig (a ``retriever`` field, say) needs no code here, only a new preset if it is to
be compared by default.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from dataclasses import dataclass
from typing import Any

from index.answerer import AnswerConfig


class ConfigurationError(ValueError):
    """A configuration that cannot be applied; the message names the field and the choices."""


@dataclass(frozen=True)
class Configuration:
    name: str
    # (dotted field, value as written): kept as text so reports show what was asked for
    overrides: tuple[tuple[str, str], ...] = ()

    def apply(self, base: AnswerConfig) -> AnswerConfig:
        config = base
        for field_path, value in self.overrides:
            config = _replace(config, field_path.split("."), value, field_path)
        return config

    def describe(self) -> str:
        return ", ".join(f"{field}={value}" for field, value in self.overrides) or "defaults"


PRESETS: dict[str, Configuration] = {
    preset.name: preset
    for preset in (
        # AnswerConfig as the settings make it: what the service runs
        Configuration("default"),
        # dense retrieval alone: no BM25 candidates or fusion, so no query translation either
        Configuration(
            "dense",
            (
                ("retrieval.lexical_chunks", "0"),
                ("quotes.lexical_weight", "0"),
                ("translation", "none"),
            ),
        ),
        # hybrid, but English words are not matched to Arabic terms
        Configuration("no-translation", (("translation", "none"),)),
        # the fusion leans further on the dense score
        Configuration("dense-weight-0.7", (("retrieval.dense_weight", "0.7"),)),
        # quote scores also count the question's words found in the sentence
        Configuration("lexical-quotes", (("quotes.lexical_weight", "0.2"),)),
        # a pair of sentences never beats a single one: shorter quotes
        Configuration("single-sentence", (("quotes.pair_margin", "1.0"),)),
        # more candidates from each source and more chunks quoted: recall against time
        Configuration(
            "wide",
            (
                ("retrieval.dense_chunks", "50"),
                ("retrieval.lexical_chunks", "50"),
                ("quote_chunks", "60"),
            ),
        ),
    )
}
LEARNED_QUOTE_CHUNKS = "40"  # every candidate: 20 dense and 20 BM25 chunks at most
PRESETS.update(
    {
        preset.name: preset
        for preset in (
            # the fixed mix alone, every quote its chunk's best window (the default until the
            # every-window article)
            Configuration("weighted", (("ranking", "weighted"),)),
            # the same mix over every window of every candidate chunk, pairs paying the margin
            Configuration("every-window", (("ranking", "weighted-every-window"),)),
            # the article that ranking puts first, quoted first by the weighted ranking's choice
            Configuration("every-window-article", (("ranking", "weighted-every-window-article"),)),
            # the learned ranker picks the first quote inside the mix's first article
            Configuration("learned-first-quote", (("ranking", "learned-first-quote"),)),
            # ... with its learned abstention model instead of the threshold
            Configuration(
                "learned-abstention",
                (("ranking", "learned-first-quote"), ("abstention", "learned")),
            ),
            # every candidate chunk is quoted: the per-question min-max fused order no longer
            # decides which chunks' sentences are scored
            Configuration("all-candidates", (("quote_chunks", LEARNED_QUOTE_CHUNKS),)),
            # ... ranked by the learned ranker, abstaining on its first probability alone
            Configuration(
                "learned-ranker",
                (
                    ("quote_chunks", LEARNED_QUOTE_CHUNKS),
                    ("ranking", "learned"),
                    ("abstention", "threshold"),
                ),
            ),
            # ... and the learned abstention model
            Configuration(
                "learned",
                (
                    ("quote_chunks", LEARNED_QUOTE_CHUNKS),
                    ("ranking", "learned"),
                    ("abstention", "learned"),
                ),
            ),
            # sound-alike translations for every English word, as before names-only
            Configuration(
                "transliterate-all-words", (("translation.transliterate_common_words", "true"),)
            ),
        )
    }
)
DEFAULT_COMPARISON = ("default", "dense", "lexical-quotes", "single-sentence")


def parse_configuration(text: str) -> Configuration:
    """``NAME`` (a preset) or ``NAME:field=value,field=value``."""
    name, separator, assignments = text.partition(":")
    name = name.strip()
    if not name:
        raise ConfigurationError(f"configuration {text!r} has no name")
    if not separator:
        if name not in PRESETS:
            raise ConfigurationError(
                f"unknown configuration {name!r}; presets are {', '.join(PRESETS)}, or define "
                "one as NAME:field=value,field=value"
            )
        return PRESETS[name]
    overrides = []
    for assignment in filter(None, (part.strip() for part in assignments.split(","))):
        field_path, equals, value = assignment.partition("=")
        if not equals or not field_path.strip():
            raise ConfigurationError(f"{assignment!r} in {text!r} is not field=value")
        overrides.append((field_path.strip(), value.strip()))
    configuration = Configuration(name, tuple(overrides))
    configuration.apply(AnswerConfig())  # fail now on an unknown field or a bad value
    return configuration


def parse_configurations(texts: list[str]) -> list[Configuration]:
    configurations = [parse_configuration(text) for text in texts]
    names = [c.name for c in configurations]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ConfigurationError(f"configuration names must differ: {', '.join(duplicated)}")
    return configurations


def _replace(config: Any, path: list[str], value: str, full_path: str) -> Any:
    fields = {f.name for f in dataclasses.fields(config)}
    head = path[0]
    if head not in fields:
        raise ConfigurationError(
            f"{type(config).__name__} has no field {head!r} (in {full_path!r}); "
            f"fields: {', '.join(sorted(fields))}"
        )
    hint = typing.get_type_hints(type(config))[head]
    if len(path) > 1:
        inner = getattr(config, head)
        if not dataclasses.is_dataclass(inner):
            raise ConfigurationError(f"{full_path!r}: {head!r} has no fields")
        return dataclasses.replace(config, **{head: _replace(inner, path[1:], value, full_path)})
    return dataclasses.replace(config, **{head: _convert(value, hint, full_path)})


def _convert(value: str, hint: Any, full_path: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if type(None) in options and value.lower() in ("none", "null", ""):
            return None
        for option in options:
            if option is not type(None):
                try:
                    return _convert(value, option, full_path)
                except ConfigurationError:
                    continue
        raise ConfigurationError(f"{full_path}={value!r} fits none of {hint}")
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        for choice in allowed:
            if str(choice) == value:
                return choice
        raise ConfigurationError(
            f"{full_path}={value!r}: choose from {', '.join(map(str, allowed))}"
        )
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError as error:
            choices = ", ".join(str(member.value) for member in hint)
            raise ConfigurationError(f"{full_path}={value!r}: choose from {choices}") from error
    if hint is bool:
        if value.lower() in ("true", "1", "yes", "on"):
            return True
        if value.lower() in ("false", "0", "no", "off"):
            return False
        raise ConfigurationError(f"{full_path}={value!r} is not true or false")
    if hint in (int, float, str):
        try:
            return hint(value)
        except ValueError as error:
            raise ConfigurationError(
                f"{full_path}={value!r} is not a valid {hint.__name__}"
            ) from error
    raise ConfigurationError(f"{full_path}: a field of type {hint} cannot be set from text")
