"""Where bilingual-lm keeps caches (models, default n-grams, jieba's dictionary cache); `blm cache` shows them."""

import hashlib
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


def keyed_cache_file(folder: str, key: str, suffix: str) -> Path | None:
    """The file of the cache folder `folder` that holds what `key` names (its name a hash of the key), or None
    when the cache directory cannot be used (the caller then computes the value every time)."""
    try:
        return cache_dir(folder) / (hashlib.sha256(key.encode()).hexdigest()[:32] + suffix)
    except OSError:
        return None
