"""`hf:` and `gguf:` model strings to a `TransformerScorer`: the weights on their device in their dtype.

Device and dtype are chosen by `bilingual_lm.models.device` (cuda, then mps, then cpu; fp32 on the CPU, bf16 on
CUDA); the weights are read offline by `bilingual_lm.models.loading`.
"""

from __future__ import annotations

from functools import partial

from bilingual_lm.progress import Progress
from bilingual_lm.score.transformer.scorer import DEFAULT_BATCH_SIZE, DEFAULT_MAX_CHARS, TransformerScorer


def load_hf_scorer(target: str, **options) -> TransformerScorer:
    """`hf:TARGET`: a local model folder, or a hub id already in the local Hugging Face cache."""
    from bilingual_lm.models import load_hf_model

    return _load_scorer(load_hf_model, target, **options)


def load_gguf_scorer(target: str, *, progress: Progress | None = None, **options) -> TransformerScorer:
    """`gguf:PATH`, or `gguf:default` for the packaged Gemma 3 270M (converted once, reported to `progress`, then
    cached)."""
    from bilingual_lm.models import load_gguf_model

    return _load_scorer(partial(load_gguf_model, progress=progress), target, **options)


def _load_scorer(load_model, target: str, *, lang: str = "auto", device: str | None = None, dtype: str | None = None,
                 batch_size: int | None = DEFAULT_BATCH_SIZE, bos: str = "auto",
                 max_chars: int | None = DEFAULT_MAX_CHARS, window: int | None = None, stride: int | None = None,
                 tiled_head: str = "auto", prefix_trees: str = "auto", **_other) -> TransformerScorer:
    """Load a model with `load_model` and wrap it; options meant for other model kinds (an n-gram's `eos`, …)
    are ignored."""
    loaded = load_model(target, device=device, dtype=dtype)
    return TransformerScorer(
        loaded.model, loaded.tokenizer, name=loaded.name, lang=lang, bos=bos,
        batch_size=batch_size or DEFAULT_BATCH_SIZE, max_chars=max_chars or DEFAULT_MAX_CHARS, window=window,
        stride=stride, weights_sha256=loaded.weights_sha256, source=loaded.source, tiled_head=tiled_head,
        prefix_trees=prefix_trees,
    )
