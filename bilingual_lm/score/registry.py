"""Model strings (`ngram:PATH`, `hf:PATH_OR_ID`, `gguf:PATH`, `gemma3-270m`) resolved to scorers.

A backend registers a loader for its prefix, as segmenters register themselves::

    @register_scorer("bigram")
    def load_bigram(target: str, **options) -> Scorer: ...

after which ``load_scorer("bigram:TARGET")`` (and ``blm score --model bigram:TARGET``) loads it. The built-in
backends are registered by module path and imported only when used (a Transformer import takes seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from bilingual_lm.errors import InputError
from bilingual_lm.score.base import Scorer

Loader = Callable[..., Scorer]  # loader(target, **options) -> Scorer

# prefix -> a loader, or "module:function" for a built-in one imported at first use
_LOADERS: dict[str, Loader | str] = {
    "ngram": "bilingual_lm.score.ngram:load_ngram_scorer",
    "hf": "bilingual_lm.score.transformer:load_hf_scorer",
    "gguf": "bilingual_lm.score.transformer:load_gguf_scorer",
}
# whole-string aliases -> the model string they stand for
ALIASES = {
    "gemma3-270m": "gguf:default",
}
DEFAULT_TRANSFORMER = "gemma3-270m"


def register_scorer(prefix: str) -> Callable[[Loader], Loader]:
    """Decorator: make `loader(target, **options)` the loader of model strings ``PREFIX:TARGET``."""

    def decorate(loader: Loader) -> Loader:
        _LOADERS[prefix] = loader
        return loader

    return decorate


def scorer_prefixes() -> list[str]:
    """The prefixes `load_scorer` accepts."""
    return sorted(_LOADERS)


def load_scorer(spec: str | None, **options) -> Scorer:
    """Load the scorer that `spec` names; None means the default n-gram for `options['lang']`.

    Options are passed to the loader: `lang` (the segmenter for word breakdowns), `device`, `dtype`, `progress`,
    ...; a loader ignores the options meant for other kinds of model.
    """
    spec = ALIASES.get(spec, spec) if spec else "ngram:default"
    prefix, sep, target = spec.partition(":")
    if not sep or prefix not in _LOADERS or not target:
        prefixes = ", ".join(f"{p}:..." for p in scorer_prefixes())
        raise InputError(f"unknown model string {spec!r}; use {prefixes} or {DEFAULT_TRANSFORMER}")
    loader = _LOADERS[prefix]
    if isinstance(loader, str):
        module_name, function_name = loader.split(":")
        loader = getattr(import_module(module_name), function_name)
    return loader(target, **options)
