"""Open-prompt sampling never draws special tokens (they are masked), and any that appear are counted."""

import torch
from tiny_causal_lm import tiny_llama, tiny_tokenizer

from bilingual_lm.eval import metrics
from bilingual_lm.score.base import SampleRequest
from bilingual_lm.score.transformer import TransformerScorer
from bilingual_lm.score.transformer.sampling import never_sampled


def test_sampling_masks_special_tokens_even_when_the_model_prefers_them():
    model = tiny_llama()
    tokenizer = tiny_tokenizer()
    bos, pad = tokenizer.bos_token_id, tokenizer.pad_token_id
    with torch.no_grad():  # <bos> and <pad> take ~92% of the next-token mass after 我们 (checked unmasked)
        model.lm_head.weight[[bos, pad]] = 0.0
        hidden = model.model(input_ids=torch.tensor([[bos, 5, 6]])).last_hidden_state[0, -1]
        model.lm_head.weight[[bos, pad]] = 50 * hidden / hidden.norm() ** 2
    scorer = TransformerScorer(model, tokenizer, name="tiny", lang="zh")
    masked = set(never_sampled(scorer).tolist())
    assert {bos, pad} <= masked and tokenizer.eos_token_id not in masked
    samples = [text for texts in scorer.sample([SampleRequest("我们", 4, 6, 0), SampleRequest("你", 4, 6, 1)])
               for text in texts]
    ids = [i for text in samples for i in tokenizer(text, add_special_tokens=False)["input_ids"]]
    assert not {bos, pad} & set(ids)
    assert metrics.special_token_count(samples) == 0


def test_special_tokens_in_text_are_counted():
    assert metrics.special_token_count(["a<start_of_image>b", "<unused3><eos>", "plain"]) == 3
