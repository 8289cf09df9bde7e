"""Where bilingual-lm keeps caches (models, default n-grams, jieba's dictionary cache)."""

import os
from pathlib import Path

import platformdirs


def cache_dir(*parts: str) -> Path:
    """The per-user cache directory (override with BLM_CACHE_DIR), created on demand."""
    root = Path(os.environ.get("BLM_CACHE_DIR") or platformdirs.user_cache_dir("bilingual-lm"))
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
