"""Loading a causal LM and its tokenizer offline: `hf:` folders or cached hub ids, `gguf:` files.

Nothing is downloaded: every call passes `local_files_only=True`, and `trust_remote_code` stays off.
A GGUF file is converted once into a cached safetensors folder (see `gguf_convert`): loading a GGUF directly
dequantizes it on every start, several times slower than loading the converted folder (timings in
eval/bench/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from bilingual_lm.errors import InputError, first_line
from bilingual_lm.models.device import resolve_device, resolve_dtype
from bilingual_lm.models.fingerprint import fingerprint, weight_files
from bilingual_lm.progress import Progress


@dataclass
class LoadedModel:
    """A causal LM in eval mode on its device, its tokenizer, and where its weights came from."""

    model: torch.nn.Module
    tokenizer: object
    name: str
    folder: Path
    weights_sha256: dict[str, str] = field(default_factory=dict)
    source: dict = field(default_factory=dict)


def load_hf_model(target: str, *, device: str | None = None, dtype: str | None = None, name: str | None = None):
    """Load `target` (a local folder, or a hub id already in the local HF cache) as a causal LM."""
    folder = resolve_hf_folder(target)
    return load_model_folder(folder, name=name or f"hf:{target}", device=device, dtype=dtype)


def load_gguf_model(target: str, *, device: str | None = None, dtype: str | None = None,
                    progress: Progress | None = None):
    """Load a GGUF file (`default`: the packaged Gemma 3 270M) through its cached safetensors conversion (made
    now, reported to `progress`, when missing)."""
    from bilingual_lm.models import gemma, gguf_convert

    if target == "default":
        folder, source = gemma.converted_folder(progress)
        name = "gemma3-270m"
    else:
        path = Path(target).expanduser()
        if not path.is_file():
            raise InputError(f"no such GGUF file: {target}")
        folder, source = gguf_convert.converted_folder(path, progress)
        name = f"gguf:{target}"
    loaded = load_model_folder(folder, name=name, device=device, dtype=dtype)
    # the GGUF is the model's identity; the conversion, which changes with the converter's version, goes beside it
    loaded.source = {**source, "conversion": gguf_convert.conversion_record(folder, loaded.weights_sha256)}
    loaded.weights_sha256 = {source["gguf_file"]: source["gguf_sha256"]}
    return loaded


def resolve_hf_folder(target: str) -> Path:
    """A local model folder for `target`: the folder itself, or the hub id's snapshot in the HF cache."""
    path = Path(target).expanduser()
    if path.is_dir():
        return path
    if path.exists():
        raise InputError(f"{target} is a file, not a model folder (use gguf:PATH for a GGUF file)")
    if target.startswith((".", "/", "~")) or target.count("/") > 1 or "\\" in target:
        raise InputError(f"no such model folder: {target}")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id=target, local_files_only=True))
    except (HFValidationError, LocalEntryNotFoundError, OSError) as error:
        raise InputError(
            f"model {target!r} is neither a local folder nor in the local Hugging Face cache "
            "(nothing is downloaded at run time)"
        ) from error


def load_model_folder(folder: Path, *, name: str, device=None, dtype=None) -> LoadedModel:
    """Load config, tokenizer and weights from `folder`; refuse models that are not causal LMs."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

    torch_device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, torch_device)
    options = {"local_files_only": True, "trust_remote_code": False}
    try:
        config = AutoConfig.from_pretrained(folder, **options)
    except (OSError, ValueError, KeyError) as error:
        raise InputError(f"{folder} does not hold a usable model config: {first_line(error)}") from error
    if type(config) not in MODEL_FOR_CAUSAL_LM_MAPPING or getattr(config, "is_decoder", None) is False:
        # BERT-like configs have a causal-LM class but say `is_decoder: false`: their attention looks ahead.
        raise InputError(f"{folder} holds a {config.model_type!r} model, which is not a causal language model")
    refuse_pickled_weights(folder)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, **options)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch_dtype, use_safetensors=True, **options)
    except Exception as error:  # a truncated or damaged file fails deep inside transformers or safetensors
        raise InputError(f"cannot load the model in {folder}: {type(error).__name__}: {first_line(error)}") from error
    model.to(torch_device).eval()
    check_causal(model, folder)
    files = weight_files(folder)
    return LoadedModel(model=model, tokenizer=tokenizer, name=name, folder=folder, weights_sha256=fingerprint(files))


PICKLED = ("*.bin", "*.pt", "*.pth", "*.ckpt", "*.pkl")


def refuse_pickled_weights(folder: Path) -> None:
    """InputError for a folder whose weights are only pickles: unpickling a file can run any code."""
    if any(folder.glob("*.safetensors")) or any(folder.glob("*.safetensors.index.json")):
        return
    pickled = sorted(p.name for pattern in PICKLED for p in folder.glob(pattern))
    if pickled:
        raise InputError(f"{folder}: the weights are pickled ({pickled[0]}); blm never unpickles a file (it can "
                         "run code): convert them to safetensors first")


@torch.inference_mode()
def check_causal(model: torch.nn.Module, folder: Path) -> None:
    """Refuse a model whose predictions at earlier positions move when only the last token changes."""
    device = next(model.parameters()).device
    vocab_size = model.config.get_text_config().vocab_size
    ids = torch.randint(0, vocab_size, (1, 6), generator=torch.Generator().manual_seed(0)).repeat(2, 1)
    ids[1, -1] = (ids[1, -1] + 1) % vocab_size
    logits = model(input_ids=ids.to(device)).logits.float()
    change = (logits[0] - logits[1]).abs().amax(dim=-1)
    if change[:-1].max() > 1e-4 * change[-1].clamp(min=1e-6):  # exactly 0 for a causal model
        raise InputError(f"{folder} is not a causal language model: its predictions depend on later tokens")


