"""Generators of the built-in eval task files (``bilingual_lm/eval/tasks/*.yaml``) from real bilingual sources.

Run ``python -m eval.generate`` from the repository root to regenerate every file; the output depends only
on the seed and the versions of the source packages, which each file records under ``source``.
"""
