"""Exact chain-rule scores from any Hugging Face causal LM (default: Gemma 3 270M), one concern per file.

Conventions (all recorded by `describe()`):

* **BOS.** With ``bos="auto"`` (or ``"always"``) the model's BOS token is put before the text, so the first
  token is scored as log p(t₁ | BOS). With ``bos="never"``, or a model without BOS, the first token has no
  context and is left out of the scores (the tokens' sum is then log p(t₂ … tₙ | t₁)).
* **Continuations.** ``context + text`` is tokenized as one string with character offsets; a token that
  straddles the join is the continuation's first token, its span clipped to start at 0 of the continuation.
* **Words.** Tokens are grouped into our segmenter's words by character offsets (`align_words`).
* **Numerics.** Logits only at the positions whose next token is scored; log-softmax always in fp32.
* **Batches.** A text's scores do not depend on its batch (≤ 1e-4 apart in fp32, tested).

Where each concern lives:

==================  ===========================================================================================
``scorer.py``       `TransformerScorer`: settings, the contract's methods, scoring texts row by row
``loading.py``      ``hf:`` / ``gguf:`` strings to a scorer (device and dtype: `bilingual_lm.models.device`)
``encoding.py``     tokens with character offsets, which are scored, windows of long texts (``window``/``stride``)
``padded.py``       the reference batching: right-padded rows in length-sorted batches; left-padded contexts
``trees.py``        token trees: rows that start alike share tokens (4-D mask), tested against padded rows
``head.py``         the tiled LM head: online logsumexp over vocabulary slices, soft-capped, many batches per pass
``paths.py``        which of the tiled head and trees a model gets: probes at load, options to force, the record
``candidates.py``   log p(candidate | prompt) for many requests: every candidate after its prompt, in token trees
``sampling.py``     next-token distributions and seeded ancestral samples over a batch of contexts
``states.py``       the residual stream at every layer (the logit lens's input); last tokens share common prefixes
==================  ===========================================================================================

A tokenizer without character offsets (a "slow" Python tokenizer) is refused with a clear error, since
offsets are what make continuations and word breakdowns exact.
"""

from bilingual_lm.score.transformer.loading import load_gguf_scorer, load_hf_scorer
from bilingual_lm.score.transformer.scorer import TransformerScorer

__all__ = ["TransformerScorer", "load_gguf_scorer", "load_hf_scorer"]
