"""Inside the model: the logit lens (nostalgebraist 2020; Wendler et al. 2024) for Chinese and English.

`readout.LogitLens` decodes every layer's residual stream at a prompt's last token through the model's own
final norm and head, all of them in one pass of the scorer's tiled head (`score.transformer.head.head_pass`);
`answers` holds the first-token rule that turns an answer word into the token whose probability is read.
"""

from bilingual_lm.lens.readout import LayerReadings, LogitLens

__all__ = ["LayerReadings", "LogitLens"]
