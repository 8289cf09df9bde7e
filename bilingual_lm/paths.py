"""Where bilingual-lm keeps caches (models, default n-grams, jieba's dictionary cache); `blm cache` shows them."""

import os
from pathlib import Path

import platformdirs


def cache_root() -> Path:
    """The per-user cache directory, `$BLM_CACHE_DIR` if set (not created here)."""
    return Path(os.environ.get("BLM_CACHE_DIR") or platformdirs.user_cache_dir("bilingual-lm"))


def cache_dir(*parts: str) -> Path:
    """A folder of the cache directory (`cache_root()`), created on demand."""
    path = cache_root().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
