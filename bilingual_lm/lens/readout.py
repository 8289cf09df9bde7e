"""The logit lens over a Transformer scorer: every layer's residual stream read through the model's own final norm
and head.

The scorer's `hidden_states` (the contract's layer probe) gives the residual stream at a prompt's last token
after the embeddings (state 0) and after each of the L layers (states 1 … L), each before the final norm. State
ℓ is decoded as the model decodes its last state:

    logits_ℓ = softcap(W_U · norm(h_ℓ)),   p_ℓ = softmax(logits_ℓ)

where `norm` is the model's own final-norm module (Gemma's RMSNorm with its (1 + w) scale, Llama's and
Qwen2's RMSNorm, a LayerNorm...), never a copy of it, and softcap is tanh(z / c) · c when the config sets
``final_logit_softcapping``. At state L this is the model's output distribution (checked at load on a probe;
a model whose head does anything else is refused).

All (prompts × L + 1) states of a call go through the head together, in the scorer's one tiled pass of the head
(`score.transformer.head.head_pass`, asked also for the entropy, the top token and the script masses).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from bilingual_lm.errors import InputError
from bilingual_lm.lens.vocabulary import SCRIPT_GROUPS, script_groups
from bilingual_lm.score.base import HiddenStatesRequest
from bilingual_lm.score.transformer.encoding import context_ids
from bilingual_lm.score.transformer.head import head_logprobs, head_pass
from bilingual_lm.score.transformer.states import raw_last_state

FINAL_NORM_NAMES = ("norm", "final_layernorm", "ln_f", "final_layer_norm")
# A structurally different head (a logit scale, a missing softcap) is off by far more than these; fp32 rounding over
# a 262k vocabulary reaches 1e-4 (seen on Gemma 3 270M with one thread), bf16 rounding a few 1e-2.
PROBE_TOLERANCE = {torch.float32: 1e-3}  # other dtypes: 5e-2


@dataclass
class LayerReadings:
    """One prompt's lens: per state (0 = embeddings, then after each layer), in layer order."""

    target_logprobs: list[list[float]]  # [state][target] log p of each target token
    entropy_bits: list[float]
    script_mass: dict[str, list[float]]  # script ("han", "latin") -> [state] probability mass
    top_tokens: list[str]  # the most probable token of each state


class LogitLens:
    """Reads a Transformer scorer's residual stream at the last token of prompts, through its final norm and head."""

    def __init__(self, scorer):
        self.scorer, self.model, self.tokenizer = scorer, scorer.model, scorer.tokenizer
        self.head = self.model.get_output_embeddings()
        self.norm = final_norm(self.model)
        if not isinstance(self.head, torch.nn.Linear):
            raise InputError(f"{type(self.model).__name__} has no linear output head for the logit lens")
        self.device = self.head.weight.device
        self._groups: torch.Tensor | None = None
        self._check_last_layer()

    @property
    def n_layers(self) -> int:
        return self.model.config.get_text_config().num_hidden_layers

    def encode(self, prompt: str) -> list[int]:
        """The prompt's token ids as the model reads them (BOS first when the scorer uses one)."""
        return context_ids(self.scorer, prompt)

    @torch.inference_mode()
    def states(self, prompts: Sequence[str]) -> torch.Tensor:
        """The residual stream at each prompt's last token, normed: (prompts × L + 1 × d)."""
        raw = self.scorer.hidden_states([HiddenStatesRequest(prompt) for prompt in prompts])
        return self.norm(torch.stack(raw).to(device=self.device, dtype=self.head.weight.dtype))

    @torch.inference_mode()
    def read(self, prompts: Sequence[str], targets: Sequence[Sequence[int]]) -> list[LayerReadings]:
        """The lens of each prompt: at every state, log p of its target token ids, the entropy, the mass on
        Han and Latin tokens, and the top token. All states of all prompts share one pass of the head."""
        if not prompts:
            return []
        states = self.states(prompts)
        count, width = states.shape[0], states.shape[1]
        k = max(len(t) for t in targets)
        padded = torch.tensor([list(t) + [0] * (k - len(t)) for t in targets], device=self.device)
        rows = torch.arange(count * width, device=self.device).repeat_interleave(k)  # each state, each target
        reading = self.decode(states.reshape(count * width, -1), padded.repeat_interleave(width, dim=0).reshape(-1),
                              rows)
        logprobs = reading.logprobs.view(count, width, k)
        entropy = (reading.entropy / torch.log(torch.tensor(2.0))).view(count, width)
        mass = reading.group_mass.view(count, width, -1)
        tops = self.tokenizer.batch_decode([[i] for i in reading.top_token.tolist()])
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
    def decode(self, normed: torch.Tensor, targets: torch.Tensor, rows: torch.Tensor):
        """The head's `HeadReading` of normed states (rows × d): log p of targets[i] at state rows[i], and every
        state's entropy, top token and mass on the script groups."""
        if self._groups is None:
            self._groups = script_groups(self.tokenizer, self.head.weight.shape[0])
        return head_pass(self.model, normed, targets, rows, self._groups)

    @torch.inference_mode()
    def _check_last_layer(self) -> None:
        """An InputError unless the lens at state L reproduces the model's own log-softmax on a probe (the head
        is norm → linear → softcap)."""
        vocab = self.head.weight.shape[0]
        ids = torch.randint(0, vocab, (1, 6), generator=torch.Generator().manual_seed(0)).to(self.device)
        with raw_last_state(self.model):
            output = self.model(input_ids=ids, output_hidden_states=True)
        expected = torch.log_softmax(output.logits[0].float(), dim=-1)
        targets = torch.arange(6, device=self.device) * (vocab // 6)
        got = head_logprobs(self.model, self.norm(output.hidden_states[-1][0]), targets)
        tolerance = PROBE_TOLERANCE.get(self.head.weight.dtype, 5e-2)
        if (got - expected.gather(1, targets[:, None])[:, 0]).abs().max() > tolerance:
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

