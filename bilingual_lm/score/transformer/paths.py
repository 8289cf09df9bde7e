"""Which scoring path a model gets: decided once at load, forced by an option, and recorded in `describe()`.

Two paths are optimisations that a model must honour: the tiled head (`head.py`: a linear head plus optional
softcapping, read in tiles) and token trees (`trees.py`: a 4-D attention mask). With ``auto`` each is checked on
a probe against the plain computation (the model's own log-softmax; padded rows); a failed probe is logged and
recorded, and the plain path is used. ``on`` forces a path without a probe, ``off`` never uses it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import torch

from bilingual_lm.errors import InputError
from bilingual_lm.score.transformer.encoding import Row
from bilingual_lm.score.transformer.head import HeadQueue, head_logprobs
from bilingual_lm.score.transformer.padded import padded_inputs
from bilingual_lm.score.transformer.trees import TREE_TOKENS, tree_inputs

log = logging.getLogger(__name__)

PATH_OPTIONS = ("auto", "on", "off")
# A probe looks for a path that computes something else (a head with a logit scale or a bias moves log-probs by
# 1e-2 and more). Two fp32 computations of one log-probability differ by rounding only, but the tiled matmul and
# the model's own round differently over Gemma's 640-wide dot products and 262k-way softmax: 1.1e-4 was measured
# on a second torch build of this CPU (within 1e-4 on the first), so the bound leaves a tenfold margin.
FP32_TOLERANCE = 1e-3
# bf16 keeps 8 significant bits (about 3 decimal digits): weights and activations rounded to it move log-probs of
# magnitude ~10 by a few 1e-2, so two bf16 computations (or bf16 against the model's own) agree to about this.
# Derived from the format, not yet measured on a GPU.
BF16_TOLERANCE = 5e-2


def probe_tolerance(dtype: torch.dtype) -> float:
    """How far a probe's two computations may differ for weights of `dtype` (see the constants above)."""
    return FP32_TOLERANCE if dtype == torch.float32 else BF16_TOLERANCE


@dataclass
class Paths:
    """The paths chosen, and what each probe found (for `describe()`)."""

    tiled_head: bool
    prefix_trees: bool
    probes: dict[str, str] = field(default_factory=dict)


def choose_paths(scorer, tiled_head: str = "auto", prefix_trees: str = "auto") -> Paths:
    """The head and batching paths for `scorer` under the options (each one of `PATH_OPTIONS`)."""
    for name, option in (("tiled_head", tiled_head), ("prefix_trees", prefix_trees)):
        if option not in PATH_OPTIONS:
            raise InputError(f"unknown {name} option {option!r}; use one of {', '.join(PATH_OPTIONS)}")
    probes: dict[str, str] = {}
    head = _decide("tiled_head", tiled_head, lambda: _head_probe(scorer), probes)
    if prefix_trees == "on" and not head:
        raise InputError("prefix_trees='on' needs the tiled head (tiled_head='on' or 'auto')")
    if prefix_trees == "auto" and not head:
        probes["prefix_trees"] = "not used: it reads hidden states through the tiled head"
        return Paths(head, False, probes)
    return Paths(head, _decide("prefix_trees", prefix_trees, lambda: _trees_probe(scorer), probes), probes)


def _decide(name: str, option: str, probe, probes: dict[str, str]) -> bool:
    if option != "auto":
        probes[name] = f"forced {option} (not probed)"
        return option == "on"
    passed, finding = probe()
    probes[name] = f"{'passed' if passed else 'failed'}: {finding}"
    if not passed:
        log.warning("%s probe failed (%s): the plain path is used", name, finding)
    return passed


@torch.inference_mode()
def _head_probe(scorer) -> tuple[bool, str]:
    """The tiled head over the base model against the model's own log-softmax, on 8 random tokens."""
    model = scorer.model
    if model.get_output_embeddings() is None:
        return False, "the model has no output embeddings"
    vocab_size = model.config.get_text_config().vocab_size
    ids = torch.randint(0, vocab_size, (1, 8), generator=torch.Generator().manual_seed(0)).to(scorer.device)
    hidden = model.base_model(input_ids=ids).last_hidden_state[0]
    expected = torch.log_softmax(model(input_ids=ids).logits[0].float(), dim=-1)
    targets = torch.arange(8, device=scorer.device) * (vocab_size // 8)
    wanted = expected[torch.arange(8), targets]
    # relative to the log-probs' size: random targets sit near −25, where two fp32 summation orders over a 262k
    # vocabulary differ by ~1e-4 (Gemma 3 270M: 1.1e-4), while a wrong head is off by whole nats
    gap = ((head_logprobs(model, hidden, targets) - wanted).abs() / wanted.abs().clamp(min=1.0)).max().item()
    tolerance = probe_tolerance(scorer.dtype)
    return gap <= tolerance, f"max |Δ|/|log p| {gap:.1e} against the model's log-softmax (tolerance {tolerance:g})"


@torch.inference_mode()
def _trees_probe(scorer) -> tuple[bool, str]:
    """Token trees against padded rows on two sequences that start alike."""
    config = scorer.model.config.get_text_config()
    layer_types = set(getattr(config, "layer_types", None) or ["full_attention"])
    window = getattr(config, "sliding_window", None)
    if not layer_types <= {"full_attention", "sliding_attention"}:
        return False, f"layer types {sorted(layer_types)} have no tree mask"
    if window is not None and window < TREE_TOKENS and "sliding_attention" not in layer_types:
        return False, "a sliding window on every layer, without layer types"
    if getattr(config, "attention_chunk_size", None):
        return False, "chunked attention"
    generator = torch.Generator().manual_seed(0)
    stem = torch.randint(0, config.vocab_size, (5,), generator=generator).tolist()
    probe = [scorer.lead + stem + torch.randint(0, config.vocab_size, (n,), generator=generator).tolist()
             for n in (3, 1)]
    chosen = [(Row(i, len(scorer.lead), len(seq), 1), seq) for i, seq in enumerate(probe)]
    scores = []
    for inputs, keep, pairs in (padded_inputs(scorer, chosen), tree_inputs(scorer, sorted(chosen, key=lambda c: c[1]))):
        queue, logprobs = HeadQueue(scorer.model), [{} for _ in probe]
        queue.add(scorer.model.base_model(**inputs).last_hidden_state[keep], pairs)
        queue.flush(logprobs)
        scores.append(logprobs)
    padded, trees = scores
    if any(row.keys() != other.keys() for row, other in zip(padded, trees, strict=True)):
        return False, "trees scored other tokens than padded rows"
    gap = max(abs(row[i] - other[i]) for row, other in zip(padded, trees, strict=True) for i in row)
    tolerance = probe_tolerance(scorer.dtype)
    return gap <= tolerance, f"max |Δ| {gap:.1e} against padded rows (tolerance {tolerance:g})"
