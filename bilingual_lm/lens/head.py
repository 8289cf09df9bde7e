"""The LM head over many hidden states at once, reduced on the fly to what the lens reports.

For each row x (a hidden state after the final norm) the logits are z = W x (+ b), soft-capped as the model
does (tanh(z / c) · c). The (rows × vocabulary) logits are never held: the head runs over tiles of (rows ×
vocabulary slice) with the vocabulary as the outer loop, so its weights are read once per pass, and each tile
updates running sums against the running maximum m of the row (an online logsumexp):

    S = Σ e^(z − m)            log Z = m + log S
    A = Σ e^(z − m) (z − m)    H = log S − A / S      (the entropy, in nats)
    G_g = Σ_{v in group g} e^(z − m)                   mass of group g = G_g / S

When m grows to m', the sums seen so far are rescaled: S ← S e^(m − m'), A ← (A + (m − m') S) e^(m − m').
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from bilingual_lm.score.transformer.head import slice_logits

# (rows, vocabulary columns) per tile: on a CPU a 1024 × 2048 fp32 tile (8 MiB) stays in cache for the passes
# over it; on a GPU large tiles keep the kernels busy.
TILE = {"cpu": (1024, 2048), "other": (4096, 16384)}


@dataclass
class HeadStats:
    """Per row: log Z, the entropy (nats), the probability mass of each vocabulary group, the most probable
    token, and log p of the row's target tokens."""

    log_normaliser: torch.Tensor  # (rows,)
    entropy: torch.Tensor  # (rows,) nats
    group_mass: torch.Tensor  # (rows, groups)
    top_token: torch.Tensor  # (rows,) token id
    target_logprobs: torch.Tensor  # (rows, targets per row)


def head_stats(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    softcap: float | None,
    targets: torch.Tensor,
    groups: torch.Tensor,
) -> HeadStats:
    """`HeadStats` of `hidden` (rows × d, already normed) under the head (`weight`: vocab × d).

    `targets` (rows × k) are token ids whose log p each row reports; `groups` (vocab × g, 0/1) assigns
    tokens to the groups whose mass is summed. Everything is computed in fp32.
    """
    rows, device = hidden.shape[0], hidden.device
    tile_rows, tile_columns = TILE["cpu" if device.type == "cpu" else "other"]
    groups = groups.to(device=device, dtype=torch.float32)
    top = torch.full((rows,), -math.inf, device=device)
    top_token = torch.zeros(rows, dtype=torch.long, device=device)
    total = torch.zeros(rows, device=device)
    weighted = torch.zeros(rows, device=device)
    mass = torch.zeros((rows, groups.shape[1]), device=device)
    picked = torch.full(targets.shape, math.nan, device=device)
    buffer = torch.empty((min(tile_rows, rows), tile_columns), device=device)
    for begin in range(0, weight.shape[0], tile_columns):
        part = weight[begin : begin + tile_columns]
        part_bias = bias[begin : begin + tile_columns] if bias is not None else None
        inside = (targets >= begin) & (targets < begin + part.shape[0])
        for first in range(0, rows, tile_rows):
            chunk = slice(first, first + tile_rows)
            logits = slice_logits(hidden[chunk], part, part_bias, softcap, buffer)
            here = inside[chunk]
            where = here.nonzero(as_tuple=True)
            picked[chunk][where] = logits[where[0], targets[chunk][where] - begin]
            tile_top, tile_arg = logits.max(dim=-1)
            new_top = torch.maximum(top[chunk], tile_top)
            better = tile_top > top[chunk]
            top_token[chunk] = torch.where(better, tile_arg + begin, top_token[chunk])
            shift = torch.nan_to_num(top[chunk] - new_top, neginf=0.0)  # 0 before the first tile
            scale = torch.exp(shift)
            shifted = logits.sub_(new_top[:, None])
            exps = torch.exp(shifted)
            weighted[chunk] = ((weighted[chunk] + shift * total[chunk]) * scale).add_((exps * shifted).sum(dim=-1))
            total[chunk] = (total[chunk] * scale).add_(exps.sum(dim=-1))
            mass[chunk] = (mass[chunk] * scale[:, None]).add_(exps @ groups[begin : begin + part.shape[0]])
            top[chunk] = new_top
    log_total = torch.log(total)
    return HeadStats(
        log_normaliser=top + log_total,
        entropy=log_total - weighted / total,
        group_mass=mass / total[:, None],
        top_token=top_token,
        target_logprobs=picked - (top + log_total)[:, None],
    )
