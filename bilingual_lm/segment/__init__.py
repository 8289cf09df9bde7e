"""Segmenters for Chinese (jieba), English (a word tokenizer), mixed text, and characters."""

from bilingual_lm.segment.base import Segmenter, Token, get_segmenter, register_segmenter, segmenter_names

__all__ = ["Segmenter", "Token", "get_segmenter", "register_segmenter", "segmenter_names"]
