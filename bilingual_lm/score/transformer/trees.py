"""Token trees: texts that start alike (BOS, a shared context, the same first words) share those tokens in one row.

Short rows, sorted by their tokens, are merged into tries of at most `TREE_TOKENS` tokens, one per batch row; a
row's last token is only read as a target, so it gets a node only where another row continues past it. Each token
keeps its position in its own sequence and attends to its ancestors only (a 4-D additive mask; one per layer type
when sliding-window layers look back less than a tree), so it gets exactly the hidden state it has in its own
sequence. Whether a model honours this is checked at load against the padded reference (`paths.py`).
"""

from __future__ import annotations

import math

import torch

from bilingual_lm.score.transformer.encoding import Row, common_prefix
from bilingual_lm.score.transformer.head import Pairs
from bilingual_lm.score.transformer.padded import MAX_BATCH_TOKENS

TREE_TOKENS = 64  # tokens per token tree: rows this short are merged into trees (attention costs tree length²)


class Tree:
    """Token sequences merged where they start alike: node i holds token ids[i] at position positions[i] of its
    sequences, and attends to `ancestors[i]` (itself included)."""

    def __init__(self):
        self.ids: list[int] = []
        self.positions: list[int] = []
        self.ancestors: list[list[int]] = []

    def grow(self, token: int, position: int, parent: int | None) -> int:
        node = len(self.ids)
        self.ids.append(token)
        self.positions.append(position)
        self.ancestors.append([*(self.ancestors[parent] if parent is not None else []), node])
        return node


def plant(sequences: list[list[int]], limit: int) -> tuple[list[Tree], list[tuple[int, list[int]]]]:
    """Sequences (sorted by their tokens) merged into trees of at most `limit` nodes (a longer sequence gets a tree
    of its own); for each sequence, its tree and the node of each of its tokens."""
    trees: list[Tree] = []
    previous: list[int] = []
    path: list[int] = []  # the tree nodes of the previous sequence
    placed = []
    for seq in sequences:
        shared = min(common_prefix([previous, seq]), len(path)) if trees else 0
        if not trees or len(trees[-1].ids) + len(seq) - shared > limit:
            trees.append(Tree())
            shared = 0
        tree = trees[-1]
        path = path[:shared]
        for column in range(shared, len(seq)):
            path.append(tree.grow(seq[column], column, parent=path[-1] if path else None))
        placed.append((len(trees) - 1, path[: len(seq)]))
        previous = seq
    return trees, placed


def tree_inputs(scorer, chosen: list[tuple[Row, list[int]]]) -> tuple[dict, torch.Tensor, Pairs]:
    """Rows (sorted by their tokens) merged into trees: model inputs, the nodes whose next token is scored
    (`keep`), and which token to read at each kept node (in row-major order) for which score."""
    lead = len(scorer.lead)
    # a sequence's last token is only read as a target: it needs no node of its own
    trees, placed = plant([seq[:-1] for _, seq in chosen], TREE_TOKENS)
    asks = [(t, path[index - row.start + lead - 1], seq[index - row.start + lead], (row.item, index))
            for (row, seq), (t, path) in zip(chosen, placed, strict=True) for index in range(row.score_from, row.end)]
    inputs = tree_model_inputs(scorer, trees)
    keep = torch.zeros(inputs["input_ids"].shape, dtype=torch.bool)
    for t, node, _, _ in asks:
        keep[t, node] = True
    kept_index = (keep.flatten().cumsum(0) - 1).view(keep.shape)  # row of each kept node in hidden[keep]
    pairs = Pairs()
    for t, node, target, where in asks:
        pairs.add(int(kept_index[t, node]), target, where)
    return inputs, keep.to(scorer.device), pairs


def tree_model_inputs(scorer, trees: list[Tree]) -> dict:
    """The model's inputs for a batch of trees, one per row: token ids, each token's position in its own
    sequence, and the mask that lets each node see its ancestors only."""
    width = max(len(tree.ids) for tree in trees)
    ids = torch.full((len(trees), width), scorer.pad_id, dtype=torch.long)
    positions = torch.zeros((len(trees), width), dtype=torch.long)
    allowed = torch.eye(width, dtype=torch.bool).repeat(len(trees), 1, 1)  # padding attends to itself
    for t, tree in enumerate(trees):
        ids[t, : len(tree.ids)] = torch.tensor(tree.ids)
        positions[t, : len(tree.ids)] = torch.tensor(tree.positions)
        for node, ancestors in enumerate(tree.ancestors):
            allowed[t, node, ancestors] = True
    return {
        "input_ids": ids.to(scorer.device),
        "position_ids": positions.to(scorer.device),
        "attention_mask": tree_mask(scorer, allowed, positions),
        "use_cache": False,
    }


def tree_mask(scorer, allowed: torch.Tensor, positions: torch.Tensor) -> torch.Tensor | dict[str, torch.Tensor]:
    """The additive 4-D attention mask of a batch of trees: one for every layer, or one per layer type (the
    transformers convention for models with sliding-window layers) when those layers look back less than a
    tree's length."""
    window = getattr(scorer.model.config.get_text_config(), "sliding_window", None)

    def additive(where: torch.Tensor) -> torch.Tensor:
        mask = torch.zeros(where.shape, dtype=scorer.dtype).masked_fill_(~where, torch.finfo(scorer.dtype).min)
        return mask[:, None].to(scorer.device)

    if window is None or window >= allowed.shape[-1]:
        return additive(allowed)
    near = positions[:, :, None] - positions[:, None, :] < window
    return {"full_attention": additive(allowed), "sliding_attention": additive(allowed & near)}


def tree_batches(indices: list[int], sequences: list[list[int]], batch_size: int) -> list[list[int]]:
    """Indices sorted by their sequences (so that sequences starting alike are neighbours), cut into batches of at
    most `batch_size` sequences, as even as that allows (no small last batch), and at most about
    `MAX_BATCH_TOKENS` tokens."""
    order = sorted(indices, key=lambda r: sequences[r])
    per_batch = math.ceil(len(order) / math.ceil(len(order) / batch_size)) if order else batch_size
    batches: list[list[int]] = []
    tokens = 0
    for r in order:
        if not batches or len(batches[-1]) >= per_batch or tokens + len(sequences[r]) > MAX_BATCH_TOKENS:
            batches.append([])
            tokens = 0
        batches[-1].append(r)
        tokens += len(sequences[r])
    return batches
