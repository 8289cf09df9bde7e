"""One scoring contract for n-gram and Transformer models."""

from bilingual_lm.score.base import NextTokenDistribution, Scorer, TextScore, TokenScore, WordScore
from bilingual_lm.score.registry import load_scorer

__all__ = ["NextTokenDistribution", "Scorer", "TextScore", "TokenScore", "WordScore", "load_scorer"]
