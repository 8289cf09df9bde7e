"""Causal language models: resolving model strings to local weights, loading them offline, fingerprints."""

from bilingual_lm.models.device import resolve_device, resolve_dtype
from bilingual_lm.models.loading import LoadedModel, load_gguf_model, load_hf_model

__all__ = ["LoadedModel", "load_gguf_model", "load_hf_model", "resolve_device", "resolve_dtype"]
