"""A seeded training loop on the CPU: AdamW, linear warm-up, cosine decay, next-token cross-entropy."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from bilingual_lm.progress import Progress, report

from .data import sample_batch


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 300
    batch_size: int = 32
    learning_rate: float = 3e-3
    warmup_steps: int = 30
    weight_decay: float = 0.1
    seed: int = 0


def next_token_loss(model: torch.nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy (nats per token) of the model's prediction at each position against its label."""
    logits = model(input_ids=inputs).logits
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1))


def learning_rate(step: int, config: TrainConfig) -> float:
    """Linear warm-up to the peak rate, then cosine decay to a tenth of it."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    return config.learning_rate * (0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, progress))))


def train(
    model: torch.nn.Module,
    stream: torch.Tensor,
    config: TrainConfig,
    on_step: Callable[[int, float], None] | None = None,
    description: str = "training",
    progress: Progress | None = None,
) -> list[float]:
    """Train `model` on random windows of `stream`; returns the training loss of every step.

    `on_step(step, loss)` is called after each step (for example to evaluate now and then); each step is also
    reported to `progress`.
    """
    context = model.config.max_position_embeddings
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, betas=(0.9, 0.95), weight_decay=config.weight_decay
    )
    model.train()
    losses = []
    with report(progress, description, config.steps) as advance:
        for step in range(config.steps):
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, config)
            inputs, labels = sample_batch(stream, config.batch_size, context, generator)
            loss = next_token_loss(model, inputs, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
            if on_step is not None:
                on_step(step, losses[-1])
            advance(1)
    model.eval()
    return losses
