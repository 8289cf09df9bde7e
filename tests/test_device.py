"""The one device chooser (`models/device.py`): cuda, then mps, then cpu; float64 consumers skip mps."""

import pytest
import torch

from bilingual_lm.errors import InputError
from bilingual_lm.models.device import resolve_device


@pytest.fixture
def only_mps(monkeypatch):
    """A machine with MPS and no CUDA (the environment is faked; the chooser is real)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)


def test_auto_picks_mps_when_there_is_no_cuda(only_mps):
    assert resolve_device(None) == torch.device("mps")


def test_auto_skips_mps_for_float64_tables(only_mps):
    assert resolve_device("auto", needs_float64=True) == torch.device("cpu")


def test_explicit_mps_for_float64_tables_is_refused(only_mps):
    with pytest.raises(InputError, match="float64"):
        resolve_device("mps", needs_float64=True)


def test_the_ngram_scorer_uses_the_same_chooser(only_mps, tmp_path):
    from bilingual_lm.ngram import train_ngram
    from bilingual_lm.score.ngram import load_ngram_scorer

    path = tmp_path / "m.blm"
    train_ngram([["a", "b"]], 2, "kn").save(path)
    assert load_ngram_scorer(str(path), "space").describe().device == "cpu"
