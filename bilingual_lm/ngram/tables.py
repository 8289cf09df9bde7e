"""The vectorised query: torch tensors of sorted n-gram keys, searched for a whole batch at once.

For every position i of a batch of sentences laid end to end, the n-gram of length n ending at i is
found from the (n-1)-gram ending at i-1 (`counting.py` explains the keys): one `searchsorted` per order
for the whole batch. The tables live on one device, so the same code scores on a GPU.
"""

from __future__ import annotations

import numpy as np
import torch

from bilingual_lm.ngram.counting import sort_pairs


class NgramTables:
    """Keys, log10 probabilities and log10 back-off weights of every order, as tensors on `device`.

    On the CPU the key search is numpy's, over the queries in sorted order (single-threaded: torch's
    parallel search waits on thread wake-ups, costly for small batches on a busy machine; and sorted
    queries walk the table in order, 3x faster on large batches); elsewhere it is `torch.searchsorted`.
    """

    numpy_search_on_cpu = True

    def __init__(self, keys: list[np.ndarray], prob: list[np.ndarray], backoff: list[np.ndarray],
                 vocab_size: int, rule: str, missing_backoff: float, device: str | torch.device = "cpu"):
        self.order = len(keys)
        self.vocab_size = vocab_size
        self.rule = rule
        self.missing_backoff = missing_backoff
        self.device = torch.device(device)
        self.keys = [torch.as_tensor(k, dtype=torch.int64).to(self.device) for k in keys]
        # every order's log10 p in one tensor (order n's from prob_start[n-1] on): one gather reads them all
        self.prob_all = torch.as_tensor(np.concatenate(prob), dtype=torch.float64).to(self.device)
        self.prob_start = np.concatenate([[0], np.cumsum([len(p) for p in prob])[:-1]]).tolist()
        self.prob = list(torch.split(self.prob_all, [len(p) for p in prob]))
        self.backoff = [torch.as_tensor(b, dtype=torch.float64).to(self.device) for b in backoff]
        # is_context[n-1][g]: the n-gram g is followed by some word in training (it has (n+1)-grams);
        # only the flat rule asks
        self.is_context = []
        for n in range(1, self.order if rule == "flat" else 1):
            flags = torch.zeros(len(self.keys[n - 1]), dtype=torch.bool, device=self.device)
            flags[self.keys[n] // vocab_size] = True
            self.is_context.append(flags)

    def _find(self, n: int, keys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Indices of `keys` in the order-n table, and whether each is there."""
        table = self.keys[n - 1]
        if len(table) == 0:
            return torch.zeros_like(keys), torch.zeros_like(keys, dtype=torch.bool)
        if table.device.type == "cpu" and self.numpy_search_on_cpu:
            pos, hit = _search_sorted_order(table.numpy(), keys.numpy())
            return torch.from_numpy(pos), torch.from_numpy(hit)
        pos = torch.searchsorted(table, keys).clamp_(max=len(table) - 1)
        return pos, table.index_select(0, pos) == keys

    def query(self, ids: torch.Tensor, hist: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """log10 p(ids[i] | up to order-1 earlier ids of its sentence) and the n-gram length matched.

        `hist[i]` is how many tokens before i belong to i's sentence (0 at its first token).
        """
        idx, found = [ids], [torch.ones_like(ids, dtype=torch.bool)]
        for n in range(2, self.order + 1):
            usable = found[-1].roll(1) & (hist >= n - 1)
            pos, hit = self._find(n, idx[-1].roll(1).clamp(min=0) * self.vocab_size + ids)
            hit &= usable
            idx.append(pos)
            found.append(hit)
        ctx_idx = [t.roll(1) for t in idx[:-1]]
        ctx_found = [f.roll(1) & (hist >= j) for j, f in enumerate(found[:-1], start=1)]
        return self._combine(idx, found, ctx_idx, ctx_found, hist)

    def next_word(self, context_idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """log10 p(w | context) for every word id w, given the table indices of the context's last
        1, 2, … words (-1 where absent; as many as the context has, at most order-1)."""
        words = torch.arange(self.vocab_size, device=self.device)
        hist = torch.full_like(words, len(context_idx))
        idx, found = [words], [torch.ones_like(words, dtype=torch.bool)]
        ctx_idx, ctx_found = [], []
        for n in range(2, self.order + 1):
            j = n - 1  # context length
            c = context_idx[j - 1] if j <= len(context_idx) else -1
            ctx_idx.append(torch.full_like(words, max(c, 0)))
            ctx_found.append(torch.full_like(words, c >= 0, dtype=torch.bool))
            if c >= 0:
                pos, hit = self._find(n, c * self.vocab_size + words)
            else:
                pos, hit = torch.zeros_like(words), torch.zeros_like(words, dtype=torch.bool)
            idx.append(pos)
            found.append(hit)
        return self._combine(idx, found, ctx_idx, ctx_found, hist)

    def _combine(self, idx, found, ctx_idx, ctx_found, hist) -> tuple[torch.Tensor, torch.Tensor]:
        """Apply the model's rule to the target n-grams (idx/found, by length) and contexts (by length)."""
        matched = torch.ones_like(hist)
        for n in range(2, self.order + 1):
            matched = torch.where(found[n - 1], n, matched)
        if self.rule == "flat":
            return self._flat(idx, found, ctx_idx, ctx_found, hist), matched
        chosen = idx[0]  # where the matched n-gram's log10 p is in prob_all
        for n in range(2, self.order + 1):
            chosen = torch.where(found[n - 1], idx[n - 1] + self.prob_start[n - 1], chosen)
        logp = self.prob_all.index_select(0, chosen)
        for j in range(1, self.order):  # the back-off weights of the contexts longer than the match, shortest first
            needed = ((matched <= j) & (hist >= j)).nonzero()[:, 0]
            weight = torch.where(ctx_found[j - 1][needed], _take(self.backoff[j - 1], ctx_idx[j - 1][needed]),
                                 torch.tensor(self.missing_backoff, dtype=torch.float64, device=self.device))
            logp.index_add_(0, needed, weight)
        return logp, matched

    def _flat(self, idx, found, ctx_idx, ctx_found, hist) -> torch.Tensor:
        """Add-k: the longest context seen in training decides; unseen words get its flat value."""
        length = torch.zeros_like(hist)
        for j in range(1, self.order):
            seen = ctx_found[j - 1] & _take(self.is_context[j - 1], ctx_idx[j - 1])
            length = torch.where(seen, j, length)
        logp = _take(self.prob[0], idx[0])
        for j in range(1, self.order):
            value = torch.where(found[j], _take(self.prob[j], idx[j]), _take(self.backoff[j - 1], ctx_idx[j - 1]))
            logp = torch.where(length == j, value, logp)
        return logp


def _search_sorted_order(table: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each query is in `table` (its `searchsorted` position, clamped to the last row) and whether it is
    there, the queries searched in sorted order (which keeps the table in the cache, and reads it in order);
    the order from `sort_pairs` (a plain sort of packed keys where they fit)."""
    if len(queries) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    ordered, order = sort_pairs(queries, int(queries.max()) + 1, np.arange(len(queries)), len(queries))
    at = np.searchsorted(table, ordered)
    np.minimum(at, len(table) - 1, out=at)
    pos, hit = np.empty(len(queries), dtype=np.int64), np.empty(len(queries), dtype=bool)
    pos[order] = at
    hit[order] = table[at] == ordered
    return pos, hit


def _take(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """values[index], or zeros where the table is empty (an order with no n-grams at all)."""
    if len(values) == 0:
        return torch.zeros(index.shape, dtype=values.dtype, device=index.device)
    return values.index_select(0, index)
