"""`blm ngram train`: files in, an ARPA or native model out; bad input is one line and exit status 2."""

import numpy as np
import pytest
from hostile import run_in_process as run_blm
from test_ngram_data import KENLM

from bilingual_lm.ngram import load_ngram, train_ngram


def test_train_writes_kenlms_model_from_pretokenized_text(tmp_path, monkeypatch, capsys):
    output = tmp_path / "zh.arpa"
    code = run_blm(monkeypatch, "ngram", "train", KENLM / "zh.train.txt", "--order", 3, "--smoothing", "kn",
                   "--lang", "space", "--no-progress", "-o", output)
    assert code == 0
    assert "wrote" in capsys.readouterr().err
    ours, kenlm = load_ngram(output), load_ngram(KENLM / "zh.o3.arpa.gz")
    assert sorted(ours.vocab) == sorted(kenlm.vocab)
    assert [len(k) for k in ours.keys] == [len(k) for k in kenlm.keys]
    test = [line.split() for line in (KENLM / "zh.test.txt").read_text(encoding="utf-8").splitlines()]
    assert np.allclose(ours.score_sentences(test).logprobs, kenlm.score_sentences(test).logprobs, atol=1e-4)


@pytest.mark.parametrize("backend,jobs", [("jieba", 1), ("rjieba", 1), ("jieba", 2), ("rjieba", 3)])
def test_train_on_raw_chinese_segments_with_the_backend_asked_for(tmp_path, monkeypatch, backend, jobs):
    # the reference: the same text cut by the backend itself, then trained on as pre-segmented words;
    # with several jobs, batches of 40 lines go to the worker processes
    pytest.importorskip(backend)
    monkeypatch.setattr("bilingual_lm.cli.ngram.BATCH_LINES", 40)
    raw = [line.replace(" ", "") for line in (KENLM / "zh.train.txt").read_text(encoding="utf-8").splitlines()[:300]]
    (tmp_path / "raw.txt").write_text("\n".join(raw) + "\n", encoding="utf-8")
    code = run_blm(monkeypatch, "ngram", "train", tmp_path / "raw.txt", "-n", 3, "--lang", "zh", "--backend", backend,
                   "--jobs", jobs, "--no-progress", "-o", tmp_path / "m.blm")
    assert code == 0
    if backend == "jieba":
        import jieba
        cut = [[w for w in jieba.lcut(line) if not w.isspace()] for line in raw]
    else:
        import rjieba
        cut = [[w for w in rjieba.cut(line, True) if not w.isspace()] for line in raw]
    reference = train_ngram([words for words in cut if words], 3, "kn")
    ours = load_ngram(tmp_path / "m.blm")
    assert ours.vocab == reference.vocab
    for n in range(3):
        assert np.array_equal(ours.keys[n], reference.keys[n]) and np.array_equal(ours.prob[n], reference.prob[n])


def test_train_writes_native_by_suffix_with_options(tmp_path, monkeypatch):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("I\nam\na\n", encoding="utf-8")
    output = tmp_path / "en.blm"
    code = run_blm(monkeypatch, "ngram", "train", KENLM / "en.train.txt", "-n", 2, "-s", "addk", "--k", 0.5,
                   "--lang", "en", "--vocab", vocab, "--no-progress", "-o", output)
    assert code == 0
    model = load_ngram(output)
    assert (model.order, model.smoothing, model.params["k"]) == (2, "addk", 0.5)
    assert model.vocab == ["<unk>", "<s>", "</s>", "I", "am", "a"]


@pytest.mark.parametrize("args,message", [
    (["--order", 0], "order must be an integer of at least 1"),
    (["--smoothing", "good-turing"], "unknown smoothing 'good-turing'"),
    (["--smoothing", "addk"], "no exact ARPA form"),
    (["--lang", "klingon"], "unknown language or segmenter"),
    (["--lang", "space", "--backend", "rjieba"], "--backend: only for --lang zh or auto"),
    (["--lang", "zh", "--backend", "pkuseg"], "unknown backend 'pkuseg'"),
    (["--jobs", 0], "--jobs must be at least 1"),
    (["--jobs", 100000], "--jobs must be at least 1 and at most"),
])
def test_bad_options_exit_2_with_one_line_and_no_file(tmp_path, monkeypatch, capsys, args, message):
    output = tmp_path / "m.arpa"
    code = run_blm(monkeypatch, "ngram", "train", KENLM / "en.train.txt", *args, "-o", output)
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1 and err.startswith("blm: error:")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("content,message", [(None, "no such file"), (b"caf\xe9\n", "not valid UTF-8"),
                                             (b" \n\n", "the corpus has no text")])
def test_bad_corpus_exits_2_with_one_line_and_no_file(tmp_path, monkeypatch, capsys, content, message):
    corpus = tmp_path / "corpus.txt"
    if content is not None:
        corpus.write_bytes(content)
    code = run_blm(monkeypatch, "ngram", "train", corpus, "--lang", "space", "-o", tmp_path / "m.arpa")
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "m.arpa").exists()
