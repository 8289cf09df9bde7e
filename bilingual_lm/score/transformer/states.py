"""`hidden_states`: the residual stream at one token of each text, after the embeddings and after every layer.

Every row is the raw residual stream: transformers would hand the last one over already normed
(``tie_last_hidden_states``), which is switched off here. Requests for the last token (the logit lens's) run
in batches of neighbours in sorted order; the tokens a batch has in common (a task's few-shot examples) run
once, and the rest of each sequence runs on their KV cache, right-padded (about 4× fewer tokens through the
model on the lens tasks). Other positions run as one left-padded batch, the reference layout.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from bilingual_lm.score.transformer.encoding import common_prefix
from bilingual_lm.score.transformer.padded import left_padded

BATCH_ROWS = 16  # sequences per forward pass on the shared-prefix path


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
    if all(position == -1 for position in positions):
        order = sorted(range(len(sequences)), key=sequences.__getitem__)
        found: dict[int, torch.Tensor] = {}
        for first in range(0, len(order), BATCH_ROWS):
            chosen = order[first : first + BATCH_ROWS]
            found.update(zip(chosen, _last_states(scorer, [sequences[i] for i in chosen]), strict=True))
        return [found[i].float().cpu() for i in range(len(sequences))]
    ids, mask, position_ids = left_padded(scorer, sequences)
    with raw_last_state(scorer.model):
        out = scorer.model.base_model(input_ids=ids, attention_mask=mask, position_ids=position_ids,
                                      output_hidden_states=True)
    layers = torch.stack(out.hidden_states, dim=1)  # batch × (n_layers + 1) × width × d_model
    width = ids.shape[1]
    return [layers[b, :, width - len(seq) + position % len(seq)].float().cpu()
            for b, (seq, position) in enumerate(zip(sequences, positions, strict=True))]


def _last_states(scorer, batch: list[list[int]]) -> torch.Tensor:
    """(batch × n_layers + 1 × d_model) at each sequence's last token; their common tokens run once."""
    model, device = scorer.model.base_model, scorer.device
    shared = min(common_prefix(batch), min(map(len, batch)) - 1)
    cache_kwarg = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    cache = {}
    if shared:
        prefix = model(input_ids=torch.tensor([batch[0][:shared]], device=device), use_cache=True)
        cache = {cache_kwarg: getattr(prefix, cache_kwarg)}
        cache[cache_kwarg].batch_repeat_interleave(len(batch))
    rests = [seq[shared:] for seq in batch]
    ids = torch.full((len(batch), max(map(len, rests))), scorer.pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), shared + ids.shape[1]), dtype=torch.long)
    mask[:, :shared] = 1
    for row, rest in enumerate(rests):  # right-padded: a causal model never looks at the padding
        ids[row, : len(rest)] = torch.tensor(rest)
        mask[row, shared : shared + len(rest)] = 1
    positions = torch.arange(shared, shared + ids.shape[1]).expand(len(batch), -1)
    with raw_last_state(scorer.model):
        output = model(input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=positions.to(device),
                       output_hidden_states=True, **cache)
    layers = torch.stack(output.hidden_states, dim=1)  # batch × (n_layers + 1) × positions × d_model
    last = torch.tensor([len(rest) - 1 for rest in rests], device=device)
    return layers[torch.arange(len(batch), device=device), :, last]
