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

import functools
import math
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from threadpoolctl import threadpool_limits

# The online logsumexp runs over tiles of (positions × vocabulary rows), written into one reused buffer per span of
# the vocabulary. On a CPU a 1024 × 2048 fp32 tile (8 MiB) stays in cache for the max / exp / sum passes over it;
# on a GPU large tiles keep the kernels busy.
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
              groups: torch.Tensor | None = None, workers: int | None = None) -> HeadReading:
    """`head_logprobs`, and with `groups` (vocab × g, 0/1) the entropy, top token and group masses of every row.

    On a CPU the vocabulary is cut into one span per thread (`workers`, default torch's thread count): each span
    is folded by its own thread, single-threaded, and the spans' sums are merged (`_Sums.merge`). On this 2-core
    box that ran the head 1.3× faster than one pass with two-threaded matmuls (eval/bench/README.md).
    """
    head = model.get_output_embeddings()
    device = hidden.device
    rows = torch.arange(hidden.shape[0], device=device) if rows is None else rows
    groups = None if groups is None else groups.to(device=device, dtype=torch.float32)
    fold = _SpanFold(head, softcap(model), hidden, targets, rows, groups)
    workers = workers or (torch.get_num_threads() if device.type == "cpu" else 1)
    spans = vocabulary_spans(head.weight.shape[0], fold.tile_columns, workers)
    if len(spans) == 1:
        sums = [fold(spans[0])]
    else:
        with one_thread_each(), ThreadPoolExecutor(len(spans)) as pool:
            sums = list(pool.map(fold, spans))
    return functools.reduce(_Sums.merge, sums).reading(rows)


def vocabulary_spans(size: int, tile_columns: int, workers: int) -> list[range]:
    """The vocabulary's rows cut into at most `workers` spans of whole tiles, as even as that allows."""
    tiles = math.ceil(size / tile_columns)
    per_span = math.ceil(tiles / max(1, min(workers, tiles)))
    return [range(first * tile_columns, min(size, (first + per_span) * tile_columns))
            for first in range(0, tiles, per_span)]


@contextmanager
def one_thread_each():
    """torch's operators and the BLAS that numpy calls single-threaded while the span threads run."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        torch.set_num_threads(threads)


class _Sums:
    """One span's running sums, per row, against its running maximum m: S = Σ e^(z − m) (log Z = m + log S), and
    each pair's picked logit (0 where its target is in another span). With groups also A = Σ e^(z − m) (z − m),
    so H = log S − A / S (nats), G_g = Σ_{v in g} e^(z − m), so mass_g = G_g / S, and the top token."""

    def __init__(self, count: int, pairs: int, groups: int | None, device):
        self.top = torch.full((count,), -math.inf, device=device)
        self.total = torch.zeros(count, device=device)
        self.picked = torch.zeros(pairs, device=device)
        self.spread = groups is not None
        if self.spread:
            self.weighted = torch.zeros(count, device=device)
            self.top_token = torch.zeros(count, dtype=torch.long, device=device)
            self.mass = torch.zeros((count, groups), device=device)

    def add(self, chunk: slice, logits: torch.Tensor) -> None:
        """Fold one tile without groups (its logits are overwritten): when m grows to m', S is rescaled by
        e^(m − m')."""
        new_top = torch.maximum(self.top[chunk], logits.amax(dim=-1))
        tile_total = logits.sub_(new_top[:, None]).exp_().sum(dim=-1)
        self.total[chunk].mul_(torch.exp(self.top[chunk] - new_top)).add_(tile_total)
        self.top[chunk] = new_top

    def add_spread(self, chunk: slice, begin: int, logits: torch.Tensor, columns: torch.Tensor,
                   exps: torch.Tensor) -> None:
        """Fold one tile with groups: A ← (A + (m − m') S) e^(m − m') and G ← G e^(m − m'); `columns` are the
        groups' columns of the tile with a column of ones beside them, so that one product gives G_g and S."""
        top, total = self.top[chunk], self.total[chunk]
        tile_top = logits.amax(dim=-1)
        rising = (tile_top > top).nonzero()[:, 0]  # rows whose top token is in this tile: few after the first tiles
        self.top_token[chunk][rising] = logits[rising].argmax(dim=-1) + begin
        new_top = torch.maximum(top, tile_top)
        shift = torch.nan_to_num(top - new_top, neginf=0.0)  # 0 before the first tile, where S = 0
        scale = torch.exp(shift)
        shifted = logits.sub_(new_top[:, None])
        exps = torch.exp(shifted, out=exps[: shifted.numel()].view(shifted.shape))
        sums = exps @ columns.T
        self.weighted[chunk] = ((self.weighted[chunk] + shift * total) * scale).add_(torch.linalg.vecdot(exps, shifted))
        self.mass[chunk] = (self.mass[chunk] * scale[:, None]).add_(sums[:, :-1])
        self.total[chunk] = total * scale + sums[:, -1]
        self.top[chunk] = new_top

    def merge(self, other: _Sums) -> _Sums:
        """The sums of two spans as one: both rescaled to the larger maximum (each span's maximum is finite)."""
        top = torch.maximum(self.top, other.top)
        mine, theirs = torch.exp(self.top - top), torch.exp(other.top - top)
        if self.spread:
            self.weighted = ((self.weighted + (self.top - top) * self.total) * mine
                             + (other.weighted + (other.top - top) * other.total) * theirs)
            self.mass = self.mass * mine[:, None] + other.mass * theirs[:, None]
            self.top_token = torch.where(other.top > self.top, other.top_token, self.top_token)
        self.total = self.total * mine + other.total * theirs
        self.picked = self.picked + other.picked
        self.top = top
        return self

    def reading(self, rows: torch.Tensor) -> HeadReading:
        log_total = torch.log(self.total)
        reading = HeadReading(self.picked - self.top[rows] - log_total[rows])
        if self.spread:
            reading.entropy = log_total - self.weighted / self.total
            reading.top_token, reading.group_mass = self.top_token, self.mass / self.total[:, None]
        return reading


class _SpanFold:
    """Folds the head's tiles over one span of the vocabulary into `_Sums`: the vocabulary is the outer loop, so
    each slice of the head's weights is read once per pass; each slice is soft-capped as the model does."""

    def __init__(self, head, cap: float | None, hidden: torch.Tensor, targets: torch.Tensor, rows: torch.Tensor,
                 groups: torch.Tensor | None):
        self.head, self.cap, self.hidden, self.targets, self.rows = head, cap, hidden, targets, rows
        self.tile_rows, self.tile_columns = HEAD_TILE["cpu" if hidden.device.type == "cpu" else "other"]
        # stored (groups + 1) × vocab: a tile's product with its columns transposed runs about 3× faster on a CPU
        self.columns = None if groups is None else torch.cat(
            [groups, torch.ones((groups.shape[0], 1), device=groups.device)], dim=1).T.contiguous()

    @torch.no_grad()  # grad mode is per thread: a span's thread starts with it on
    def __call__(self, span: range) -> _Sums:
        count, device = self.hidden.shape[0], self.hidden.device
        groups = None if self.columns is None else self.columns.shape[0] - 1
        sums = _Sums(count, self.targets.shape[0], groups, device)
        buffer = torch.empty(min(self.tile_rows, count) * self.tile_columns, device=device)
        exps = None if groups is None else torch.empty_like(buffer)  # the tile's e^(z − m'), reused
        weight, bias = self.head.weight, self.head.bias
        for begin in range(span.start, span.stop, self.tile_columns):
            end = min(begin + self.tile_columns, span.stop)
            wanted = (self.targets >= begin) & (self.targets < end)
            for first in range(0, count, self.tile_rows):
                chunk = slice(first, first + self.tile_rows)
                logits = slice_logits(self.hidden[chunk], weight[begin:end],
                                      None if bias is None else bias[begin:end], self.cap, buffer)
                here = wanted & (self.rows >= first) & (self.rows < first + self.tile_rows)
                sums.picked[here] = logits[self.rows[here] - first, self.targets[here] - begin]
                if groups is None:
                    sums.add(chunk, logits)
                else:
                    sums.add_spread(chunk, begin, logits, self.columns[:, begin:end], exps)
        return sums


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
    """hidden @ weightᵀ + bias, soft-capped, written in fp32 into the start of the flat `buffer`.

    On a CPU, an fp32 product without bias is numpy's (its OpenBLAS ran these shapes 1.2-1.4× faster than torch's
    MKL on this box's AMD cores: eval/bench/README.md)."""
    logits = buffer[: hidden.shape[0] * weight.shape[0]].view(hidden.shape[0], weight.shape[0])
    if hidden.device.type == "cpu" and hidden.dtype == weight.dtype == torch.float32 and bias is None:
        np.matmul(hidden.detach().numpy(), weight.detach().numpy().T, out=logits.numpy())
    elif hidden.dtype == torch.float32 and bias is None:
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
