"""bilingual-lm: exact chain-rule scores, cross-lingual evals and reproducible notes for Chinese and English."""

__version__ = "0.1.0"
