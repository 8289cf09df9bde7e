"""The reference tiny model of the notes: one recipe per profile, trained once and cached on disk.

Notes 5, 7 and 8 use the same trained model (and note 7 smaller ones, cached the same way). Training is
seeded and single-threaded, so a cached model is the one a fresh run would train; the cache key covers
the recipe, the training text, this package's source and the versions of torch, transformers and
sentencepiece.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import sentencepiece as spm
import torch
from transformers import LlamaForCausalLM

from bilingual_lm.corpora.hsk import train_test_split
from bilingual_lm.paths import cache_dir

from .data import bilingual_texts, token_stream
from .evaluate import held_out_score
from .model import TinyConfig, build_model
from .tokenizer import train_tokenizer
from .train import TrainConfig, train

VOCAB_SIZE = 2048
SEED = 0


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the trained weights, besides the text."""

    d_model: int
    n_layers: int
    n_heads: int
    train: TrainConfig
    context: int = 64
    vocab_size: int = VOCAB_SIZE
    eval_every: int = 50

    def model_config(self, vocab_size: int | None = None) -> TinyConfig:
        return TinyConfig(vocab_size or self.vocab_size, self.d_model, self.n_layers, self.n_heads, self.context)


PROFILES = {
    "full": Recipe(128, 4, 4, TrainConfig(steps=500, batch_size=32, learning_rate=3e-3, warmup_steps=30)),
    "fast": Recipe(64, 2, 4, TrainConfig(steps=120, batch_size=16, learning_rate=3e-3, warmup_steps=12),
                   eval_every=30),
}


@dataclass
class TrainedModel:
    """A trained reference model with its tokenizer and its training history."""

    recipe: Recipe
    tokenizer: spm.SentencePieceProcessor
    model: LlamaForCausalLM
    train_losses: list[float]
    held_out: list[dict] = field(default_factory=list)  # {"step", "loss", "bits_per_char"} every eval_every


def hsk_split() -> tuple[list[str], list[str]]:
    """Training and held-out texts (zh and en of each sentence) from the HSK split of the n-gram fixtures."""
    train_sentences, test_sentences = train_test_split()
    return bilingual_texts(train_sentences), bilingual_texts(test_sentences)


def cache_key(recipe: Recipe, texts: list[str]) -> str:
    """A hash of what decides the weights: recipe, text, this package's code, library versions."""
    digest = hashlib.sha256(json.dumps(asdict(recipe), sort_keys=True).encode())
    digest.update("\n".join(texts).encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    for package in ("torch", "transformers", "sentencepiece"):
        digest.update(metadata.version(package).encode())
    return digest.hexdigest()[:20]


def train_recipe(recipe: Recipe, train_texts: list[str], held_out_texts: list[str]) -> TrainedModel:
    """Train the tokenizer and the model from scratch, evaluating on the held-out texts as it goes."""
    tokenizer = train_tokenizer(train_texts, vocab_size=recipe.vocab_size)
    model = build_model(recipe.model_config(tokenizer.get_piece_size()), seed=recipe.train.seed)
    history = []

    def evaluate(step: int, _loss: float) -> None:
        if (step + 1) % recipe.eval_every == 0 or step + 1 == recipe.train.steps:
            score = held_out_score(model, tokenizer, held_out_texts)
            model.train()
            history.append({"step": step + 1, "loss": score.loss, "bits_per_char": score.bits_per_char})

    stream = token_stream(tokenizer, train_texts, seed=recipe.train.seed)
    losses = train(model, stream, recipe.train, on_step=evaluate, description="tiny Transformer")
    return TrainedModel(recipe, tokenizer, model, losses, history)


def reference_model(profile: str = "full") -> TrainedModel:
    """The profile's reference model (notes 5, 7 and 8)."""
    return trained_on_hsk(PROFILES[profile])


def trained_on_hsk(recipe: Recipe) -> TrainedModel:
    """`recipe` trained on the HSK split, from the cache when this exact recipe has been trained before."""
    train_texts, held_out_texts = hsk_split()
    folder = cache_dir("tinylm") / cache_key(recipe, train_texts + held_out_texts)
    if (folder / "history.json").exists():
        history = json.loads((folder / "history.json").read_text(encoding="utf-8"))
        tokenizer = spm.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
        model = LlamaForCausalLM.from_pretrained(folder, attn_implementation="eager").eval()
        return TrainedModel(recipe, tokenizer, model, history["train_losses"], history["held_out"])
    trained = train_recipe(recipe, train_texts, held_out_texts)
    save(trained, folder)
    return trained


def save(trained: TrainedModel, folder: Path) -> None:
    """Write the model, tokenizer and history to a temporary folder, then rename it into place."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        trained.model.save_pretrained(tmp)
        (tmp / "tokenizer.model").write_bytes(trained.tokenizer.serialized_model_proto())
        history = {"train_losses": trained.train_losses, "held_out": trained.held_out}
        (tmp / "history.json").write_text(json.dumps(history), encoding="utf-8")
        if not folder.exists():  # another process may have cached the same model meanwhile
            os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def set_deterministic(threads: int = 1) -> None:
    """One thread and deterministic kernels: the same seed gives the same numbers."""
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
