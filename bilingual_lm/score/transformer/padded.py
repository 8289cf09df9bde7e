"""The reference batching: rows of token ids, right-padded, in length-sorted batches.

Every row is one window of one text (`encoding.windows`); a causal model never looks at the padding after a row,
so each token gets exactly the hidden state it has alone. Token trees (`trees.py`) are an optimisation of this
path and are tested against it.
"""

from __future__ import annotations

import torch

from bilingual_lm.score.transformer.encoding import Row
from bilingual_lm.score.transformer.head import Pairs

MAX_BATCH_TOKENS = 2048  # padded tokens per forward pass: bounds the (scored positions × vocab) logits
MAX_PADDING = 0.2  # a batch closes before padding would exceed this fraction of its tokens


def padded_inputs(scorer, chosen: list[tuple[Row, list[int]]]) -> tuple[dict, torch.Tensor, Pairs]:
    """One right-padded batch of rows: model inputs, the positions whose next token is scored (`keep`), and which
    token to read at each kept position (in row-major order) for which score."""
    width = max(len(seq) for _, seq in chosen)
    lead = len(scorer.lead)
    ids = torch.full((len(chosen), width), scorer.pad_id, dtype=torch.long)
    mask = torch.zeros((len(chosen), width), dtype=torch.long)
    keep = torch.zeros((len(chosen), width), dtype=torch.bool)
    pairs = Pairs()
    for b, (row, seq) in enumerate(chosen):
        ids[b, : len(seq)] = torch.tensor(seq)
        mask[b, : len(seq)] = 1
        for index in range(row.score_from, row.end):
            column = index - row.start + lead
            keep[b, column - 1] = True
            pairs.add(len(pairs.where), seq[column], (row.item, index))
    inputs = {"input_ids": ids.to(scorer.device), "attention_mask": mask.to(scorer.device), "use_cache": False}
    return inputs, keep.to(scorer.device), pairs


def length_sorted_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches, longest first, of at most `batch_size` rows, `MAX_BATCH_TOKENS` padded tokens
    and a `MAX_PADDING` fraction of padding (a row longer than that runs alone)."""
    order = sorted(range(len(lengths)), key=lambda r: -lengths[r])
    batches: list[list[int]] = []
    real = 0
    for r in order:
        if batches and len(batches[-1]) < batch_size:
            padded = (len(batches[-1]) + 1) * lengths[batches[-1][0]]
            if padded <= MAX_BATCH_TOKENS and real + lengths[r] >= (1 - MAX_PADDING) * padded:
                batches[-1].append(r)
                real += lengths[r]
                continue
        batches.append([r])
        real = lengths[r]
    return batches


def left_padded(scorer, sequences: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Token ids left-padded to one width (every sequence ends at the last column), their attention mask and
    position ids (0 at each first token): the layout for reading or continuing each sequence's last state."""
    width = max(len(seq) for seq in sequences)
    ids = torch.full((len(sequences), width), scorer.pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for i, seq in enumerate(sequences):
        ids[i, width - len(seq) :] = torch.tensor(seq, dtype=torch.long)
        mask[i, width - len(seq) :] = 1
    positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
    return ids.to(scorer.device), mask.to(scorer.device), positions.to(scorer.device)
