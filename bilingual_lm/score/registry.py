"""Model strings (`ngram:PATH`, `hf:PATH_OR_ID`, `gguf:PATH`, `gemma3-270m`) resolved to scorers."""

from __future__ import annotations

from importlib import import_module

from bilingual_lm.errors import InputError
from bilingual_lm.score.base import Scorer

# prefix -> "module:function"; each loader takes (target, **options) and returns a Scorer.
_LOADERS = {
    "ngram": "bilingual_lm.score.ngram:load_ngram_scorer",
    "hf": "bilingual_lm.score.transformer:load_hf_scorer",
    "gguf": "bilingual_lm.score.transformer:load_gguf_scorer",
}
# whole-string aliases -> the model string they stand for
ALIASES = {
    "gemma3-270m": "gguf:default",
}
DEFAULT_TRANSFORMER = "gemma3-270m"


def load_scorer(spec: str | None, **options) -> Scorer:
    """Load the scorer that `spec` names; None means the default n-gram for `options['lang']`.

    Options are passed to the loader: `lang` (the segmenter for word breakdowns), `device`, `dtype`, ...
    """
    spec = ALIASES.get(spec, spec) if spec else "ngram:default"
    prefix, sep, target = spec.partition(":")
    if not sep or prefix not in _LOADERS or not target:
        raise InputError(
            f"unknown model string {spec!r}; use ngram:PATH, hf:PATH_OR_ID, gguf:PATH or {DEFAULT_TRANSFORMER}"
        )
    module_name, function_name = _LOADERS[prefix].split(":")
    return getattr(import_module(module_name), function_name)(target, **options)
