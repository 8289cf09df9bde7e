"""The reference model's cache: a cached model is the model that training made."""

import os

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bilingual_lm.tinylm import reference  # noqa: E402
from bilingual_lm.tinylm.train import TrainConfig  # noqa: E402

TINY = reference.Recipe(16, 1, 2, TrainConfig(steps=4, batch_size=2, warmup_steps=1), context=16, vocab_size=1000,
                        eval_every=2)


@pytest.fixture
def tiny_profile(monkeypatch, tmp_path):
    monkeypatch.setenv("BLM_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(reference.PROFILES, "tiny", TINY)
    torch.set_num_threads(1)
    return tmp_path


def test_second_call_loads_the_cached_model_unchanged(tiny_profile):
    trained = reference.reference_model("tiny")
    assert len(list((tiny_profile / "tinylm").iterdir())) == 1
    cached = reference.reference_model("tiny")
    ids = torch.tensor([[1, *trained.tokenizer.encode("我爱吃披萨。"), 2]])
    with torch.no_grad():
        assert torch.equal(trained.model(input_ids=ids).logits, cached.model(input_ids=ids).logits)
    assert cached.tokenizer.encode("I love pizza.") == trained.tokenizer.encode("I love pizza.")
    assert cached.train_losses == trained.train_losses and cached.held_out == trained.held_out
    assert [h["step"] for h in cached.held_out] == [2, 4]
    assert cached.model.config._attn_implementation == "eager"


def test_cache_key_changes_with_the_recipe_and_the_text():
    texts = ["我爱吃披萨。", "I love pizza."]
    key = reference.cache_key(TINY, texts)
    assert key == reference.cache_key(TINY, list(texts))
    assert key != reference.cache_key(reference.Recipe(16, 2, 2, TINY.train, 16, 1000, 2), texts)
    assert key != reference.cache_key(TINY, texts[:1])
