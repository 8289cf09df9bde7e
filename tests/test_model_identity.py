"""A GGUF model's identity is the GGUF file's sha256; its conversion (the converted weights' sha256 and the
converter's versions) is recorded beside it and does not change the model fingerprint. sha256s are cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import pytest
import torch
import transformers
from safetensors.torch import save_file
from tiny_causal_lm import tiny_llama, tiny_tokenizer

from bilingual_lm.eval.cache import model_fingerprint
from bilingual_lm.models import fingerprint, gguf_convert
from bilingual_lm.score.registry import load_scorer


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BLM_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture()
def converter(monkeypatch):
    """Stands in for the GGUF converter (which needs a real GGUF file): writes the tiny Llama's weights and its
    tokenizer into the folder with a source record, as `convert` does. `converter.version` goes into the
    safetensors header, so two versions give different bytes for the same weights, as a new transformers may."""

    def convert(gguf_path, folder, source, progress=None):
        folder.mkdir(parents=True)
        model = tiny_llama()
        model.config.save_pretrained(folder)
        tiny_tokenizer().save_pretrained(folder)
        weights = {name: tensor.contiguous() for name, tensor in model.state_dict().items()}
        save_file(weights, folder / "model.safetensors", metadata={"format": "pt", "made_by": convert.version})
        record = {**source, "converter": {"transformers": convert.version}}
        (folder / gguf_convert.SOURCE).write_text(json.dumps(record))

    convert.version = "5.0"
    monkeypatch.setattr(gguf_convert, "convert", convert)
    return convert


# Stand-in GGUF files: the magic and version 3 (the loader checks the header), then bytes of their own.
ONE, TWO = b"GGUF\x03\x00\x00\x00 one", b"GGUF\x03\x00\x00\x00 two"


def gguf_file(tmp_path, content: bytes):
    """A stand-in GGUF: the magic and version 3 (the loader checks the header), then `content`'s own bytes."""
    path = tmp_path / "model.gguf"
    path.write_bytes(content)
    return path


def test_the_gguf_sha256_is_the_identity_and_the_conversion_is_recorded_beside_it(tmp_path, cache, converter):
    path = gguf_file(tmp_path, ONE)
    description = load_scorer(f"gguf:{path}", lang="en").describe()
    assert description.identity["weights_sha256"] == {"model.gguf": hashlib.sha256(ONE).hexdigest()}
    conversion = description.details["source"]["conversion"]
    [folder] = (cache / "models").glob("gguf-*")
    converted = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    assert conversion == {"folder": folder.name, "weights_sha256": {"model.safetensors": converted},
                          "converter": {"transformers": "5.0"}}


def test_two_conversions_of_one_gguf_give_one_model_fingerprint(tmp_path, cache, converter):
    path = gguf_file(tmp_path, ONE)
    first = load_scorer(f"gguf:{path}", lang="en").describe()
    shutil.rmtree(next((cache / "models").glob("gguf-*")))
    converter.version = "6.0"
    second = load_scorer(f"gguf:{path}", lang="en").describe()
    conversions = [d.details["source"]["conversion"]["weights_sha256"] for d in (first, second)]
    assert conversions[0] != conversions[1]
    assert model_fingerprint(first.to_dict()) == model_fingerprint(second.to_dict())
    other = load_scorer(f"gguf:{gguf_file(tmp_path, TWO)}", lang="en").describe()
    assert model_fingerprint(other.to_dict()) != model_fingerprint(first.to_dict())


def test_converter_versions_are_those_of_the_running_packages():
    versions = gguf_convert.converter_versions()
    assert (versions["transformers"], versions["torch"]) == (transformers.__version__, torch.__version__)


def test_a_file_is_hashed_once_per_size_and_mtime(tmp_path, cache, monkeypatch):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"a" * 1000)
    calls = []
    real_sha256 = hashlib.sha256
    monkeypatch.setattr(fingerprint.hashlib, "sha256", lambda *a: calls.append(a) or real_sha256(*a))
    hashed = lambda: [a for a in calls if not a]  # noqa: E731  (hashing a file starts with sha256())
    assert fingerprint.sha256_file(path) == real_sha256(b"a" * 1000).hexdigest()
    assert fingerprint.sha256_file(path) == real_sha256(b"a" * 1000).hexdigest()
    assert len(hashed()) == 1
    path.write_bytes(b"b" * 1000)
    os.utime(path, ns=(1, 1))  # a different mtime, the same size
    assert fingerprint.sha256_file(path) == real_sha256(b"b" * 1000).hexdigest()
    assert len(hashed()) == 2


def test_an_ngram_models_identity_is_its_content_not_the_paths_spelling(tmp_path, monkeypatch):
    from bilingual_lm.ngram import train_ngram

    monkeypatch.chdir(tmp_path)
    train_ngram([["a", "b"], ["b", "a", "a"]], 2, "kn").save_arpa(tmp_path / "m.arpa")
    plain, dotted = (load_scorer(spec, lang="space", device="cpu").describe() for spec in ("ngram:m.arpa",
                                                                                            "ngram:./m.arpa"))
    assert plain.name != dotted.name
    assert model_fingerprint(plain.to_dict()) == model_fingerprint(dotted.to_dict())
    train_ngram([["a", "b"]], 2, "kn").save_arpa(tmp_path / "other.arpa")
    other = load_scorer("ngram:other.arpa", lang="space", device="cpu").describe()
    assert model_fingerprint(other.to_dict()) != model_fingerprint(plain.to_dict())
