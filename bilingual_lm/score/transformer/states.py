"""`hidden_states`: the residual stream at one token of each text, after the embeddings and after every layer.

Every row is the raw residual stream: transformers would hand the last one over already normed
(``tie_last_hidden_states``), which is switched off here. With token trees (`trees.py`, when the scorer uses
them) texts that start alike share their common tokens, so a task's few-shot examples run once per tree (on the
lens tasks about 4× fewer tokens through the model than padded rows); otherwise the texts run as one left-padded
batch, the reference layout.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from bilingual_lm.score.transformer.padded import MAX_BATCH_TOKENS, left_padded
from bilingual_lm.score.transformer.trees import plant, tree_model_inputs

STATE_TREE_TOKENS = 256  # nodes per tree when reading states: wide enough for a few-shot task to share its examples


@contextmanager
def raw_last_state(model) -> Iterator[None]:
    """While inside, `output_hidden_states` gives the last layer's output before the final norm."""
    config = model.config
    tied = getattr(config, "tie_last_hidden_states", None)
    config.tie_last_hidden_states = False
    try:
        yield
    finally:
        config.tie_last_hidden_states = tied


def hidden_states(scorer, sequences: list[list[int]], positions: list[int]) -> list[torch.Tensor]:
    """Per sequence, [n_layers + 1, d_model] fp32 on the CPU at its `positions` entry (negative from the end)."""
    if scorer.paths.prefix_trees:
        return _tree_states(scorer, sequences, positions)
    ids, mask, position_ids = left_padded(scorer, sequences)
    layers = _layers(scorer, input_ids=ids, attention_mask=mask, position_ids=position_ids)
    width = ids.shape[1]
    return [layers[b, :, width - len(seq) + position % len(seq)].float().cpu()
            for b, (seq, position) in enumerate(zip(sequences, positions, strict=True))]


def _tree_states(scorer, sequences: list[list[int]], positions: list[int]) -> list[torch.Tensor]:
    """`hidden_states` through token trees, in batches of about `MAX_BATCH_TOKENS` nodes."""
    order = sorted(range(len(sequences)), key=sequences.__getitem__)
    trees, placed = plant([sequences[i] for i in order], STATE_TREE_TOKENS)
    found: list[torch.Tensor] = [torch.empty(0)] * len(sequences)
    for span in _spans([len(tree.ids) for tree in trees], MAX_BATCH_TOKENS):
        layers = _layers(scorer, **tree_model_inputs(scorer, trees[span.start : span.stop]))
        for i, (tree, path) in zip(order, placed, strict=True):
            if tree in span:
                found[i] = layers[tree - span.start, :, path[positions[i] % len(path)]].float().cpu()
    return found


def _spans(sizes: list[int], budget: int) -> list[range]:
    """Consecutive indices grouped so that each group's sizes sum to at most `budget` (or it is one item)."""
    spans: list[range] = []
    start, total = 0, 0
    for index, size in enumerate(sizes):
        if index > start and total + size > budget:
            spans.append(range(start, index))
            start, total = index, 0
        total += size
    return [*spans, range(start, len(sizes))] if sizes else spans


def _layers(scorer, **inputs) -> torch.Tensor:
    """The raw residual streams of one forward pass: batch × (n_layers + 1) × tokens × d_model."""
    with raw_last_state(scorer.model):
        output = scorer.model.base_model(**inputs, output_hidden_states=True)
    return torch.stack(output.hidden_states, dim=1)
