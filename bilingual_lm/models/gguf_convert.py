"""Converting a GGUF file once into a cached safetensors folder that loads in seconds.

The model's identity is the GGUF file's sha256; the conversion (its own weights' sha256, and the versions of
transformers, gguf and torch that made it, in `source.json`) is recorded beside it, so that results made
through two conversions of the same GGUF name the same model.

A model loaded through `gguf_file` is marked "quantized with gguf" and refuses `save_pretrained`, so the
conversion drops `quantization_config`, copies the (dequantized, fp32) state dict into a fresh model
built from the same config, and saves that with the tokenizer. The folder is written under a temporary
name and renamed into place, so a cache folder is either complete or absent.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

import torch

from bilingual_lm.errors import InputError, first_line
from bilingual_lm.models.fingerprint import sha256_file
from bilingual_lm.optional import require
from bilingual_lm.paths import cache_dir
from bilingual_lm.progress import Progress, report

SOURCE = "source.json"  # written last: a folder holding it is complete
CONVERTER_PACKAGES = ("transformers", "gguf", "torch")


def converted_folder(gguf_path: Path, progress: Progress | None = None) -> tuple[Path, dict]:
    """The cached conversion of `gguf_path` (made now if missing) and a record of its source."""
    check_gguf_header(gguf_path)
    digest = sha256_file(gguf_path)
    folder = cache_dir("models") / f"gguf-{digest[:16]}"
    source = {"gguf_file": gguf_path.name, "gguf_sha256": digest}
    if not _complete(folder):
        convert(gguf_path, folder, source, progress)
    return folder, source


def check_gguf_header(path: Path) -> None:
    """InputError unless `path` starts like a GGUF file of a version transformers reads (2 or 3)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head[:4] != b"GGUF":
        raise InputError(f"{path}: not a GGUF file (it does not start with the GGUF magic bytes)")
    version = int.from_bytes(head[4:8], "little")
    if version not in (2, 3):
        raise InputError(f"{path}: GGUF version {version}; versions 2 and 3 are read")


def convert(gguf_path: Path, folder: Path, source: dict, progress: Progress | None = None) -> None:
    """Dequantize `gguf_path` into a safetensors model folder at `folder` (atomically; four steps reported to
    `progress`)."""
    for module in ("gguf", "accelerate"):  # transformers reads GGUF files with both
        require(module, "converting a GGUF file")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        with report(progress, f"converting {gguf_path.name} (once)", 4) as advance:
            options = {"gguf_file": gguf_path.name, "local_files_only": True}
            tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, **options)
            advance(1)
            quantized = AutoModelForCausalLM.from_pretrained(gguf_path.parent, dtype=torch.float32, **options)
            advance(1)
            config = quantized.config
            del config.quantization_config
            model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
            model.load_state_dict(quantized.state_dict())
            del quantized
            advance(1)
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            (tmp / SOURCE).write_text(json.dumps({**source, "converter": converter_versions()}, indent=2))
            advance(1)
        tmp.rename(folder)
    except InputError:
        raise
    except OSError:
        if not _complete(folder):  # else another process finished first: keep its folder
            raise
    except Exception as error:  # a damaged or unsupported file fails deep inside transformers or gguf
        raise InputError(f"{gguf_path}: cannot convert this GGUF file ({type(error).__name__}: "
                         f"{first_line(error)})") from error
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def converter_versions() -> dict[str, str]:
    """The versions of the packages a conversion's weights depend on."""
    return {name: metadata.version(name) for name in CONVERTER_PACKAGES}


def conversion_record(folder: Path, weights_sha256: dict[str, str]) -> dict:
    """What a conversion folder is: its name, its weights' sha256 and the converter versions it recorded
    (None for a folder converted before they were recorded)."""
    recorded = json.loads((folder / SOURCE).read_text(encoding="utf-8"))
    return {"folder": folder.name, "weights_sha256": weights_sha256, "converter": recorded.get("converter")}


def _complete(folder: Path) -> bool:
    return (folder / SOURCE).exists()
