"""The LM head, tiled: log p(target) at many hidden states without a (positions × vocabulary) logits tensor.

The head runs over tiles of (positions × vocabulary slice) with an online logsumexp; each slice is soft-capped as
the model does (tanh(x / c) · c, when the config sets ``final_logit_softcapping``), in fp32. The vocabulary is
the outer loop, so the head's weights (60 % of Gemma 270M's) are read once per pass; `HeadQueue` gathers the
hidden states of many batches for one pass. Whether this reproduces the model's own log-softmax is checked at
load (`paths.py`); a model whose head is something else is scored from its own logits (`target_logprobs`).
The logit lens (`bilingual_lm.lens`) reads all layers' states in the same pass, asking also for each row's
entropy, top token and the mass of vocabulary groups (`head_pass` with `groups`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

# The online logsumexp runs over tiles of (positions × vocabulary rows), written into one reused buffer. On a CPU
# a 1024 × 2048 fp32 tile (8 MiB) stays in cache for the max / exp / sum passes over it; on a GPU large tiles keep
# the kernels busy.
HEAD_TILE = {"cpu": (1024, 2048), "other": (4096, 16384)}
HEAD_QUEUE_ROWS = 4096  # hidden states that wait for one pass of the head


def softcap(model) -> float | None:
    return getattr(model.config.get_text_config(), "final_logit_softcapping", None)


@dataclass
class HeadReading:
    """One tiled pass of the head: log p of each (row, target) pair; with vocabulary groups, per row also the
    entropy (nats), the most probable token and each group's probability mass."""

    logprobs: torch.Tensor  # (pairs,)
    entropy: torch.Tensor | None = None  # (rows,)
    top_token: torch.Tensor | None = None  # (rows,) token id
    group_mass: torch.Tensor | None = None  # (rows, groups)


def head_logprobs(model, hidden: torch.Tensor, targets: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
    """log_softmax(head(hidden[rows[i]]))[targets[i]] for each i (rows default to 0, 1, …), in fp32."""
    return head_pass(model, hidden, targets, rows).logprobs


@torch.no_grad()
def head_pass(model, hidden: torch.Tensor, targets: torch.Tensor, rows: torch.Tensor | None = None,
              groups: torch.Tensor | None = None) -> HeadReading:
    """`head_logprobs`, and with `groups` (vocab × g, 0/1) the entropy, top token and group masses of every row.

    Per row, against the running maximum m: S = Σ e^(z − m) and log Z = m + log S; when m grows to m', S is
    rescaled by e^(m − m'). `_Spread` keeps the sums that the groups ask for alongside.
    """
    head = model.get_output_embeddings()
    cap = softcap(model)
    count, device = hidden.shape[0], hidden.device
    rows = torch.arange(count, device=device) if rows is None else rows
    tile_rows, tile_columns = HEAD_TILE["cpu" if device.type == "cpu" else "other"]
    buffer = torch.empty((min(tile_rows, count), tile_columns), device=device)
    top = torch.full((count,), -math.inf, device=device)
    total = torch.zeros(count, device=device)
    picked = torch.empty(targets.shape[0], device=device)
    spread = None if groups is None else _Spread(count, groups.to(device=device, dtype=torch.float32))
    for begin in range(0, head.weight.shape[0], tile_columns):
        part = head.weight[begin : begin + tile_columns]
        part_bias = head.bias[begin : begin + tile_columns] if head.bias is not None else None
        wanted = (targets >= begin) & (targets < begin + part.shape[0])
        for first in range(0, count, tile_rows):
            chunk = slice(first, first + tile_rows)
            logits = slice_logits(hidden[chunk], part, part_bias, cap, buffer)
            here = wanted & (rows >= first) & (rows < first + tile_rows)
            picked[here] = logits[rows[here] - first, targets[here] - begin]
            if spread is None:
                new_top = torch.maximum(top[chunk], logits.amax(dim=-1))
                tile_total = logits.sub_(new_top[:, None]).exp_().sum(dim=-1)
            else:
                new_top, tile_total = spread.add(chunk, begin, logits, top[chunk], total[chunk])
            total[chunk].mul_(torch.exp(top[chunk] - new_top)).add_(tile_total)
            top[chunk] = new_top
    log_total = torch.log(total)
    reading = HeadReading(picked - top[rows] - log_total[rows])
    if spread is not None:
        reading.entropy = log_total - spread.weighted / total
        reading.top_token, reading.group_mass = spread.top_token, spread.mass / total[:, None]
    return reading


class _Spread:
    """The sums beside S that give each row's entropy, top token and group masses, tile by tile:
    A = Σ e^(z − m) (z − m), so H = log S − A / S (nats), and G_g = Σ_{v in g} e^(z − m), so mass_g = G_g / S.
    When m grows to m', A ← (A + (m − m') S) e^(m − m') and G ← G e^(m − m'). A column of ones beside the groups
    gives the tile's S in the same product as the G_g."""

    def __init__(self, count: int, groups: torch.Tensor):
        # stored (groups + 1) × vocab: a tile's product with its columns transposed runs about 3× faster on a CPU
        self.columns = torch.cat([groups, torch.ones((groups.shape[0], 1), device=groups.device)], dim=1).T.contiguous()
        self.weighted = torch.zeros(count, device=groups.device)
        self.top_token = torch.zeros(count, dtype=torch.long, device=groups.device)
        self.mass = torch.zeros((count, groups.shape[1]), device=groups.device)
        self.exps: torch.Tensor | None = None  # reused buffer of the tile's e^(z − m')

    def add(self, chunk: slice, begin: int, logits: torch.Tensor, top: torch.Tensor, total: torch.Tensor):
        """Fold one tile in (its logits are overwritten); the new running maximum and the tile's Σ e^(z − m')."""
        tile_top = logits.amax(dim=-1)
        rising = (tile_top > top).nonzero()[:, 0]  # rows whose top token is in this tile: few after the first tiles
        self.top_token[chunk][rising] = logits[rising].argmax(dim=-1) + begin
        new_top = torch.maximum(top, tile_top)
        shift = torch.nan_to_num(top - new_top, neginf=0.0)  # 0 before the first tile, where S = 0
        scale = torch.exp(shift)
        shifted = logits.sub_(new_top[:, None])
        if self.exps is None or self.exps.shape[0] < shifted.shape[0] or self.exps.shape[1] < shifted.shape[1]:
            self.exps = torch.empty_like(shifted)
        exps = torch.exp(shifted, out=self.exps[: shifted.shape[0], : shifted.shape[1]])
        sums = exps @ self.columns[:, begin : begin + exps.shape[1]].T  # G_g of the tile, then its S
        self.weighted[chunk] = ((self.weighted[chunk] + shift * total) * scale).add_(torch.linalg.vecdot(exps, shifted))
        self.mass[chunk] = (self.mass[chunk] * scale[:, None]).add_(sums[:, :-1])
        return new_top, sums[:, -1]


def full_logprobs(model, hidden: torch.Tensor) -> torch.Tensor:
    """log_softmax over the whole vocabulary of the head at `hidden` (rows × vocab, fp32; soft-capped)."""
    logits = model.get_output_embeddings()(hidden).float()
    cap = softcap(model)
    if cap is not None:
        logits = torch.tanh(logits / cap) * cap
    return torch.log_softmax(logits, dim=-1)


def target_logprobs(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """log_softmax(logits)[target] per row, in fp32."""
    logits = logits.float()
    return logits.gather(1, targets[:, None])[:, 0] - torch.logsumexp(logits, dim=-1)


def slice_logits(hidden, weight, bias, cap: float | None, buffer: torch.Tensor) -> torch.Tensor:
    """hidden @ weightᵀ + bias, soft-capped, written in fp32 into the top-left corner of `buffer`."""
    logits = buffer[: hidden.shape[0], : weight.shape[0]]
    if hidden.dtype == torch.float32 and bias is None:
        torch.mm(hidden, weight.T, out=logits)
    else:
        logits.copy_(torch.nn.functional.linear(hidden, weight, bias))
    if cap is not None:
        logits.div_(cap).tanh_().mul_(cap)
    return logits


class Pairs:
    """Which hidden state (by row) predicts which target token, and where each score goes (item, token index)."""

    def __init__(self):
        self.rows: list[int] = []
        self.targets: list[int] = []
        self.where: list[tuple[int, int]] = []

    def add(self, row: int, target: int, where: tuple[int, int]) -> None:
        self.rows.append(row)
        self.targets.append(target)
        self.where.append(where)

    def targets_on(self, device) -> torch.Tensor:
        return torch.tensor(self.targets, device=device)


def store(logprobs: list[dict[int, float]], where: list[tuple[int, int]], values: torch.Tensor) -> None:
    """Put each value at its (item, token index)."""
    for (item, index), value in zip(where, values.tolist(), strict=True):
        logprobs[item][index] = value


class HeadQueue:
    """Hidden states waiting for one pass of the tiled head, with the target token to read for each score."""

    def __init__(self, model):
        self.model = model
        self._reset()

    def _reset(self) -> None:
        self.hidden: list[torch.Tensor] = []
        self.size = 0
        self.pairs = Pairs()

    def add(self, hidden: torch.Tensor, pairs: Pairs) -> None:
        for row, target, where in zip(pairs.rows, pairs.targets, pairs.where, strict=True):
            self.pairs.add(self.size + row, target, where)
        self.hidden.append(hidden)
        self.size += hidden.shape[0]

    def flush(self, logprobs: list[dict[int, float]]) -> None:
        """Run the head over everything queued and store the scores."""
        if self.pairs.where:
            hidden = torch.cat(self.hidden)
            rows = torch.tensor(self.pairs.rows, device=hidden.device)
            values = head_logprobs(self.model, hidden, self.pairs.targets_on(hidden.device), rows)
            store(logprobs, self.pairs.where, values)
        self._reset()
