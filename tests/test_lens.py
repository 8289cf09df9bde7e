"""The logit lens: exact at the last layer, equal to the model cut after each layer, and computed by hand on a
two-layer toy; its tiled head against a plain (rows × vocabulary) computation; the first-token rule."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import transformers
from transformers import CohereConfig, CohereForCausalLM, PreTrainedTokenizerFast

from bilingual_lm.errors import InputError
from bilingual_lm.lens import LogitLens
from bilingual_lm.lens.answers import answer_tokens
from bilingual_lm.lens.vocabulary import script_groups, token_texts
from bilingual_lm.score.transformer import TransformerScorer, head, states
from bilingual_lm.segment.script import lang_tag
from tests.tiny_causal_lm import tiny_gemma3, tiny_llama, tiny_qwen2, tiny_tokenizer

PROMPTS = ["我喜欢喝水", "I like to drink", "他们"]
ARCHITECTURES = {"llama": tiny_llama, "gemma3": tiny_gemma3, "qwen2": tiny_qwen2}


def _lens(model) -> LogitLens:
    return LogitLens(TransformerScorer(model, tiny_tokenizer(), name=type(model).__name__))


def _all_tokens(lens: LogitLens, prompts: list[str]) -> list:
    """The lens with every vocabulary id as a target, so that whole distributions can be compared."""
    vocab = lens.head.weight.shape[0]
    return lens.read(prompts, [list(range(vocab))] * len(prompts))


def _model_logprobs(model, ids: list[int]) -> torch.Tensor:
    """The model's own next-token log-softmax after `ids`: one unbatched forward pass, in fp64."""
    with torch.inference_mode():
        return torch.log_softmax(model(input_ids=torch.tensor([ids])).logits[0, -1].double(), dim=-1)


def _cut(model, layers: int):
    """A copy of `model` that stops after its first `layers` layers (then its final norm and head)."""
    cut = copy.deepcopy(model)
    cut.base_model.layers = torch.nn.ModuleList(list(cut.base_model.layers)[:layers])
    return cut


@pytest.mark.parametrize("architecture", list(ARCHITECTURES))
def test_last_layer_equals_the_models_output_distribution(architecture):
    model = ARCHITECTURES[architecture]()
    lens = _lens(model)
    for prompt, readings in zip(PROMPTS, _all_tokens(lens, PROMPTS), strict=True):
        expected = _model_logprobs(model, lens.encode(prompt))
        got = torch.tensor(readings.target_logprobs[-1], dtype=torch.float64)
        assert torch.allclose(got, expected, atol=1e-5, rtol=0)
        probs = expected.exp()
        assert readings.entropy_bits[-1] == pytest.approx(-(probs * expected).sum().item() / np.log(2), abs=1e-5)


@pytest.mark.parametrize("architecture", list(ARCHITECTURES))
def test_each_layer_equals_the_model_cut_after_that_layer(architecture):
    model = ARCHITECTURES[architecture]()
    lens = _lens(model)
    readings = _all_tokens(lens, PROMPTS)
    assert len(readings[0].entropy_bits) == lens.n_layers + 1
    for layers in range(lens.n_layers + 1):
        cut = _cut(model, layers)
        for prompt, reading in zip(PROMPTS, readings, strict=True):
            expected = _model_logprobs(cut, lens.encode(prompt))
            got = torch.tensor(reading.target_logprobs[layers], dtype=torch.float64)
            assert torch.allclose(got, expected, atol=1e-5, rtol=0), (architecture, layers)


def test_script_masses_and_top_token_match_the_full_distribution():
    model = tiny_gemma3()
    tokenizer = tiny_tokenizer()
    lens = _lens(model)
    texts = token_texts(tokenizer)
    han = torch.tensor([bool(t) and lang_tag(t) == "zh" for t in texts])
    latin = torch.tensor([bool(t) and lang_tag(t) == "en" for t in texts])
    for reading in _all_tokens(lens, PROMPTS):
        for state, logprobs in enumerate(reading.target_logprobs):
            probs = torch.tensor(logprobs, dtype=torch.float64).exp()
            assert reading.script_mass["han"][state] == pytest.approx(probs[han].sum().item(), abs=1e-5)
            assert reading.script_mass["latin"][state] == pytest.approx(probs[latin].sum().item(), abs=1e-5)
            assert reading.top_tokens[state] == texts[int(probs.argmax())] or probs.max() - probs.sort()[0][-2] < 1e-6


def _rms_norm(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt((x**2).mean() + eps) * weight


def test_lens_of_a_two_layer_toy_equals_a_hand_computation():
    """A one-token input (BOS), so attention is the value path only: h ← h + W_o W_v n₁(h); then the MLP:
    h ← h + W_down (silu(W_gate n₂(h)) ⊙ W_up n₂(h)). The lens at state ℓ is softmax(W_U n_f(h_ℓ))."""
    model = tiny_llama()
    lens = _lens(model)
    base = model.base_model
    p = {name: value.detach().double().numpy() for name, value in model.named_parameters()}
    eps = model.config.rms_norm_eps
    heads, kv_heads = model.config.num_attention_heads, model.config.num_key_value_heads
    head_dim = model.config.hidden_size // heads
    h = p["model.embed_tokens.weight"][lens.encode("")[0]]
    states = [h]
    for i in range(len(base.layers)):
        layer = f"model.layers.{i}."
        v = p[layer + "self_attn.v_proj.weight"] @ _rms_norm(h, p[layer + "input_layernorm.weight"], eps)
        v = np.repeat(v.reshape(kv_heads, head_dim), heads // kv_heads, axis=0).reshape(-1)  # grouped heads
        h = h + p[layer + "self_attn.o_proj.weight"] @ v
        x = _rms_norm(h, p[layer + "post_attention_layernorm.weight"], eps)
        gate = p[layer + "mlp.gate_proj.weight"] @ x
        h = h + p[layer + "mlp.down_proj.weight"] @ (gate / (1 + np.exp(-gate)) * (p[layer + "mlp.up_proj.weight"] @ x))
        states.append(h)
    reading = _all_tokens(lens, [""])[0]
    for state, h in enumerate(states):
        logits = p["lm_head.weight"] @ _rms_norm(h, p["model.norm.weight"], eps)
        expected = logits - logits.max() - np.log(np.exp(logits - logits.max()).sum())
        np.testing.assert_allclose(reading.target_logprobs[state], expected, atol=1e-5, rtol=0)


class _BiasedHead(torch.nn.Module):
    """A model as the head sees it: an output layer with a bias, and a config with a final-logit softcap."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, cap: float):
        super().__init__()
        self.out = torch.nn.Linear(weight.shape[1], weight.shape[0])
        self.out.weight.data, self.out.bias.data = weight, bias
        self.config = transformers.PretrainedConfig(final_logit_softcapping=cap)

    def get_output_embeddings(self):
        return self.out


@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_tiled_head_equals_a_plain_computation_across_tiles(workers, monkeypatch):
    """Tiles smaller than the rows and the vocabulary (and not dividing them), with a bias and a softcap; the
    (row, target) pairs repeat rows, as the lens asks for two answers at every state. The vocabulary's 5 tiles are
    folded in 1, 2 or 3 spans by as many threads and merged (8 workers get one tile each)."""
    monkeypatch.setitem(head.HEAD_TILE, "cpu", (3, 7))
    generator = torch.Generator().manual_seed(1)
    hidden, weight = torch.randn(10, 5, generator=generator), torch.randn(30, 5, generator=generator) * 3
    model = _BiasedHead(weight, torch.randn(30, generator=generator), 2.5)
    rows = torch.arange(10).repeat_interleave(2)
    targets = torch.randint(0, 30, (20,), generator=generator)
    groups = (torch.rand(30, 2, generator=generator) > 0.5).float()
    reading = head.head_pass(model, hidden, targets, rows, groups, workers=workers)
    logits = torch.tanh((hidden.double() @ weight.double().T + model.out.bias.double()) / 2.5) * 2.5
    logprobs = torch.log_softmax(logits, dim=-1)
    probs = logprobs.exp()
    expected = logprobs[rows, targets]
    assert torch.allclose(reading.logprobs.double(), expected, atol=1e-5)
    assert torch.allclose(head.head_logprobs(model, hidden, targets, rows).double(), expected, atol=1e-5)
    assert torch.allclose(reading.entropy.double(), -(probs * logprobs).sum(dim=-1), atol=1e-5)
    assert torch.allclose(reading.group_mass.double(), probs @ groups.double(), atol=1e-6)
    assert torch.equal(reading.top_token, logits.argmax(dim=-1))


def test_head_in_spans_gives_torch_its_threads_back():
    """The span threads run with torch single-threaded; the caller's thread count is restored after the pass."""
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        generator = torch.Generator().manual_seed(2)
        model = _BiasedHead(torch.randn(30, 5, generator=generator), torch.zeros(30), 2.5)
        head.head_pass(model, torch.randn(4, 5, generator=generator), torch.tensor([1, 2, 3, 4]), workers=2)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("architecture", ["llama", "gemma3"])
def test_batched_readings_equal_one_prompt_at_a_time(architecture, monkeypatch):
    """Token trees of at most 12 nodes: 我喜欢喝茶。我喜欢喝, 我喜欢喝茶。我喜欢 and 我喜欢喝茶。你呢 share their
    first tokens in one tree, the other prompts fill trees of their own."""
    monkeypatch.setattr(states, "STATE_TREE_TOKENS", 12)
    lens = _lens(ARCHITECTURES[architecture]())
    prompts = [*PROMPTS, "我喜欢喝茶。我喜欢喝", "我喜欢喝茶。我喜欢", "我喜欢喝茶。你呢"]
    targets = [[5, 9], [7, 11], [13, 17], [19, 23], [29, 31], [37, 41]]
    together = lens.read(prompts, targets)
    for prompt, target, reading in zip(prompts, targets, together, strict=True):
        alone = lens.read([prompt], [target])[0]
        np.testing.assert_allclose(reading.target_logprobs, alone.target_logprobs, atol=1e-5)
        np.testing.assert_allclose(reading.entropy_bits, alone.entropy_bits, atol=1e-5)


def test_script_groups_follow_the_script_classifier():
    tokenizer = tiny_tokenizer()
    groups = script_groups(tokenizer, len(tokenizer) + 2)  # a head may have rows beyond the tokenizer
    vocab = tokenizer.get_vocab()
    assert groups[vocab["<bos>"]].tolist() == [0, 0]
    assert groups[-1].tolist() == [0, 0]
    han = tokenizer("我", add_special_tokens=False)["input_ids"][0]
    latin = tokenizer("the", add_special_tokens=False)["input_ids"][0]
    assert groups[han].tolist() == [1, 0] and groups[latin].tolist() == [0, 1]


def test_script_groups_of_a_saved_tokenizer_are_cached_and_a_damaged_cache_file_is_recomputed(tmp_path, monkeypatch):
    # Reference: the groups of the same tokenizer built in memory (no file, so never cached).
    monkeypatch.setenv("BLM_CACHE_DIR", str(tmp_path / "cache"))
    size = len(tiny_tokenizer()) + 2
    expected = script_groups(tiny_tokenizer(), size)
    tiny_tokenizer().save_pretrained(tmp_path / "tok")
    saved = PreTrainedTokenizerFast.from_pretrained(tmp_path / "tok")
    assert torch.equal(script_groups(saved, size), expected)
    [cached] = (tmp_path / "cache" / "scripts").iterdir()
    assert torch.equal(script_groups(saved, size), expected)  # read back from the file
    for damage in (b"not an array", cached.read_bytes()[:-7]):
        cached.write_bytes(damage)
        assert torch.equal(script_groups(saved, size), expected)
        assert cached.read_bytes() != damage  # rewritten whole
    assert torch.equal(script_groups(saved, size - 1), expected[:-1])  # another head size: another file
    assert len(list((tmp_path / "cache" / "scripts").iterdir())) == 2


def test_script_groups_without_a_writable_cache_are_still_computed(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("BLM_CACHE_DIR", str(blocker))
    tiny_tokenizer().save_pretrained(tmp_path / "tok")
    saved = PreTrainedTokenizerFast.from_pretrained(tmp_path / "tok")
    size = len(saved) + 2
    assert torch.equal(script_groups(saved, size), script_groups(tiny_tokenizer(), size))


def test_first_token_rule_reads_the_answer_after_the_prompt():
    tokenizer = tiny_tokenizer()
    tokens = answer_tokens(tokenizer, 'English: "water" - 中文: "', {"zh": "水", "en": "water"})
    for lang, word in (("zh", "水"), ("en", "water")):
        whole = tokenizer(word, add_special_tokens=False)["input_ids"]
        assert tokens.ids[lang] == whole[0]
        assert tokens.single[lang] == (len(whole) == 1)


def test_first_token_rule_drops_answers_that_merge_with_the_prompt_or_share_a_token():
    tokenizer = tiny_tokenizer()
    assert answer_tokens(tokenizer, "我喜", {"zh": "欢", "en": "like"}) == "join"  # 喜欢 is one token
    assert answer_tokens(tokenizer, '"', {"zh": "水", "en": "waterfall"}) != "shared"
    assert answer_tokens(tokenizer, '"', {"zh": "today", "en": "todays"}) == "shared"  # both start with t


def test_a_head_with_a_logit_scale_is_refused():
    """Cohere multiplies the logits by `logit_scale`: decoding its layers without that would be wrong."""
    config = CohereConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                          num_attention_heads=2, num_key_value_heads=1, logit_scale=0.5)
    torch.manual_seed(0)
    with pytest.raises(InputError, match="head is not final norm"):
        _lens(CohereForCausalLM(config).eval())


def test_a_model_without_a_linear_head_is_refused_in_one_line(monkeypatch):
    """A head that is not a linear layer (here none at all) has no weight rows to read states through."""
    scorer = TransformerScorer(tiny_llama(), tiny_tokenizer(), name="headless")
    monkeypatch.setattr(scorer.model, "get_output_embeddings", lambda: None)
    with pytest.raises(InputError, match="has no linear output head for the logit lens"):
        LogitLens(scorer)
