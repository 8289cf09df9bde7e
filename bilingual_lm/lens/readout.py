"""The logit lens over a Hugging Face causal LM: every layer's residual stream read through the model's own
final norm and head.

One forward pass per prompt gives the residual stream at its last token after the embeddings (state 0) and
after each of the L layers (states 1 … L). State ℓ is decoded as the model decodes its last state:

    logits_ℓ = softcap(W_U · norm(h_ℓ)),   p_ℓ = softmax(logits_ℓ)

where `norm` is the model's own final-norm module (Gemma's RMSNorm with its (1 + w) scale, Llama's and
Qwen2's RMSNorm, a LayerNorm...), never a copy of it, and softcap is tanh(z / c) · c when the config sets
``final_logit_softcapping``. At state L this is the model's output distribution (checked at load on a probe;
a model whose head does anything else is refused). Transformers returns state L already normed (its
``hidden_states[-1]`` is ``last_hidden_state``); the lens finds out which, and norms only what is not.

All (prompts × L + 1) states of a call go through the head together in one tiled pass (`head.head_stats`).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from bilingual_lm.errors import InputError
from bilingual_lm.lens.head import head_stats
from bilingual_lm.lens.vocabulary import SCRIPT_GROUPS, script_groups
from bilingual_lm.score.transformer.encoding import common_prefix

FINAL_NORM_NAMES = ("norm", "final_layernorm", "ln_f", "final_layer_norm")
BATCH_ROWS = 16  # prompts per forward pass
PROBE_TOLERANCE = {torch.float32: 1e-4}  # other dtypes: 5e-2 (bf16 rounding of the logits)


@dataclass
class LayerReadings:
    """One prompt's lens: per state (0 = embeddings, then after each layer), in layer order."""

    target_logprobs: list[list[float]]  # [state][target] log p of each target token
    entropy_bits: list[float]
    script_mass: dict[str, list[float]]  # script ("han", "latin") -> [state] probability mass
    top_tokens: list[str]  # the most probable token of each state


class LogitLens:
    """Reads the residual stream of `model` at the last token of prompts, through its final norm and head."""

    def __init__(self, model, tokenizer):
        self.model = model
        self.tokenizer = tokenizer
        config = model.config.get_text_config()
        self.softcap = getattr(config, "final_logit_softcapping", None)
        self.head = model.get_output_embeddings()
        self.norm = final_norm(model)
        if self.head is None or not hasattr(self.head, "weight"):
            raise InputError(f"{type(model).__name__} has no linear output head for the logit lens")
        self.device = self.head.weight.device
        self.lead = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self._groups: torch.Tensor | None = None
        parameters = inspect.signature(model.base_model.forward).parameters
        self._cache_kwarg = "cache" if "cache" in parameters else "past_key_values"  # transformers ≥ 5.x: cache
        self._last_is_normed = self._check_last_layer()

    @property
    def n_layers(self) -> int:
        return self.model.config.get_text_config().num_hidden_layers

    def encode(self, prompt: str) -> list[int]:
        """The prompt's token ids as the model reads them (BOS first when the tokenizer has one)."""
        return self.lead + self.tokenizer(prompt, add_special_tokens=False)["input_ids"]

    @torch.inference_mode()
    def states(self, prompts: Sequence[list[int]]) -> torch.Tensor:
        """The residual stream at each prompt's last token: (prompts × L + 1 × d), every state normed.

        Prompts run in batches of neighbours in sorted order, so that prompts which start alike (a task's
        few-shot examples) share a batch; the tokens a batch has in common run once, and the rest of each
        prompt runs on their KV cache."""
        order = sorted(range(len(prompts)), key=lambda i: prompts[i])
        found: dict[int, torch.Tensor] = {}
        for first in range(0, len(order), BATCH_ROWS):
            chosen = order[first : first + BATCH_ROWS]
            found.update(zip(chosen, self._last_states([prompts[i] for i in chosen]), strict=True))
        return self._normed(torch.stack([found[i] for i in range(len(prompts))])) if found else torch.empty(0)

    def _last_states(self, batch: list[list[int]]) -> torch.Tensor:
        """(batch × L + 1 × d): the embeddings' and each layer's output at each sequence's last token."""
        shared = min(common_prefix(batch), min(map(len, batch)) - 1)
        cache = None
        if shared:
            prefix = torch.tensor([batch[0][:shared]], device=self.device)
            output = self.model.base_model(input_ids=prefix, use_cache=True)
            cache = getattr(output, self._cache_kwarg)
            cache.batch_repeat_interleave(len(batch))
        rests = [seq[shared:] for seq in batch]
        ids = torch.full((len(batch), max(map(len, rests))), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), shared + ids.shape[1]), dtype=torch.long)
        mask[:, :shared] = 1
        for row, rest in enumerate(rests):  # right-padded: a causal model never looks at the padding
            ids[row, : len(rest)] = torch.tensor(rest)
            mask[row, shared : shared + len(rest)] = 1
        positions = torch.arange(shared, shared + ids.shape[1]).expand(len(batch), -1)
        output = self.model.base_model(
            input_ids=ids.to(self.device),
            attention_mask=mask.to(self.device),
            position_ids=positions.to(self.device),
            output_hidden_states=True,
            **({self._cache_kwarg: cache} if cache is not None else {}),
        )
        hidden = torch.stack(output.hidden_states, dim=1)  # batch × L + 1 × positions × d
        last = torch.tensor([len(rest) - 1 for rest in rests], device=self.device)
        return hidden[torch.arange(len(batch), device=self.device), :, last]

    def _normed(self, states: torch.Tensor) -> torch.Tensor:
        unnormed = states[:, :-1] if self._last_is_normed else states
        normed = self.norm(unnormed)
        return torch.cat([normed, states[:, -1:]], dim=1) if self._last_is_normed else normed

    @torch.inference_mode()
    def read(self, prompts: Sequence[str], targets: Sequence[Sequence[int]]) -> list[LayerReadings]:
        """The lens of each prompt: at every state, log p of its target token ids, the entropy, the mass on
        Han and Latin tokens, and the top token. All states of all prompts share one pass of the head."""
        if not prompts:
            return []
        states = self.states([self.encode(prompt) for prompt in prompts])
        count, width = states.shape[0], states.shape[1]
        k = max(len(t) for t in targets)
        target_ids = torch.tensor([list(t) + [0] * (k - len(t)) for t in targets], device=self.device)
        stats = self.decode(states.reshape(count * width, -1), target_ids.repeat_interleave(width, dim=0))
        logprobs = stats.target_logprobs.view(count, width, k)
        entropy = (stats.entropy / torch.log(torch.tensor(2.0))).view(count, width)
        mass = stats.group_mass.view(count, width, -1)
        tops = self.tokenizer.batch_decode([[i] for i in stats.top_token.tolist()])
        return [
            LayerReadings(
                target_logprobs=logprobs[i, :, : len(targets[i])].tolist(),
                entropy_bits=entropy[i].tolist(),
                script_mass={script: mass[i, :, g].tolist() for g, script in enumerate(SCRIPT_GROUPS)},
                top_tokens=tops[i * width : (i + 1) * width],
            )
            for i in range(count)
        ]

    @torch.inference_mode()
    def decode(self, normed: torch.Tensor, targets: torch.Tensor):
        """`HeadStats` of normed states (rows × d) under the model's head, with the script groups."""
        if self._groups is None:
            self._groups = script_groups(self.tokenizer, self.head.weight.shape[0])
        return self._head_stats(normed, targets, self._groups)

    def _head_stats(self, normed: torch.Tensor, targets: torch.Tensor, groups: torch.Tensor):
        return head_stats(normed, self.head.weight, getattr(self.head, "bias", None), self.softcap, targets, groups)

    @torch.inference_mode()
    def _check_last_layer(self) -> bool:
        """Whether transformers hands state L over already normed, found by which reading reproduces the model's
        own log-softmax on a probe; an InputError if neither does (the head is not norm → linear → softcap)."""
        vocab = self.head.weight.shape[0]
        ids = torch.randint(0, vocab, (1, 6), generator=torch.Generator().manual_seed(0)).to(self.device)
        output = self.model(input_ids=ids, output_hidden_states=True)
        expected = torch.log_softmax(output.logits[0].float(), dim=-1)
        targets = torch.arange(6, device=self.device)[:, None] * (vocab // 6)
        tolerance = PROBE_TOLERANCE.get(self.head.weight.dtype, 5e-2)
        no_groups = torch.zeros((vocab, 0))
        last = output.hidden_states[-1][0]
        for last_is_normed, state in ((True, last), (False, self.norm(last))):
            got = self._head_stats(state, targets, no_groups)
            if (got.target_logprobs[:, 0] - expected.gather(1, targets)[:, 0]).abs().max() <= tolerance:
                return last_is_normed
        raise InputError(
            f"{type(self.model).__name__}: its head is not final norm → linear → softcap, so the logit lens "
            "cannot decode its layers the way the model decodes its last one"
        )


def final_norm(model) -> torch.nn.Module:
    """The model's own final norm module (applied to the last layer's output before the head)."""
    base = model.base_model
    for name in FINAL_NORM_NAMES:
        module = getattr(base, name, None)
        if isinstance(module, torch.nn.Module):
            return module
    raise InputError(
        f"{type(model).__name__}: no final norm found (looked for {', '.join(FINAL_NORM_NAMES)} on its base model)"
    )

