"""The segmenter contract: text in, tokens with character spans out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Protocol


@dataclass(frozen=True)
class Token:
    """One token of a text: its surface form, a language tag and its span `[start, end)` in the text.

    Spans are in order and never overlap; the text between consecutive spans is whitespace only,
    so `text[t.start:t.end] == t.text` for every token and the tokens plus the skipped whitespace
    rebuild the input exactly.
    """

    text: str
    lang: str
    start: int
    end: int


class Segmenter(Protocol):
    """Anything that splits a text into `Token`s."""

    name: str

    def segment(self, text: str) -> list[Token]: ...


_REGISTRY: dict[str, Callable[..., Segmenter]] = {}
# where each built-in segmenter registers itself: imported when first asked for (jieba's import is not free)
_BUILTIN = {"char": "chars", "zh": "chinese", "en": "english", "auto": "mixed", "space": "space"}


def register_segmenter(name: str) -> Callable:
    """Class decorator: make a segmenter available to `get_segmenter(name)`."""

    def decorate(factory: Callable[..., Segmenter]) -> Callable[..., Segmenter]:
        _REGISTRY[name] = factory
        return factory

    return decorate


def segmenter_names() -> list[str]:
    """The names `get_segmenter` accepts."""
    for name in _BUILTIN:
        _load_builtin(name)
    return sorted(_REGISTRY)


def get_segmenter(name: str, **options) -> Segmenter:
    """Build the segmenter registered as `name` ('zh', 'en', 'auto', 'char', ...)."""
    from bilingual_lm.errors import InputError

    _load_builtin(name)
    if name not in _REGISTRY:
        raise InputError(f"unknown language or segmenter {name!r}; choose one of {', '.join(segmenter_names())}")
    return _REGISTRY[name](**options)


def _load_builtin(name: str) -> None:
    if name not in _REGISTRY and name in _BUILTIN:
        import_module(f"bilingual_lm.segment.{_BUILTIN[name]}")
