"""Training within a memory budget: a text counted in chunks, spilled as sorted runs and merged, gives the same
model, byte for byte, as counting it whole in memory (`train_ngram`, the reference); bad budgets and temporary
directories are one line and exit 2."""

import re

import numpy as np
import pytest
from hostile import assert_one_line_error, tiny_tmpfs
from hostile import run_in_process as run_blm
from test_ngram_data import KENLM

from bilingual_lm.ngram import train_ngram
from bilingual_lm.ngram.spill import parse_memory, train_ngram_bounded

TRAIN = KENLM / "zh.train.txt"


def sentences():
    return [line.split() for line in TRAIN.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("order,smoothing,options", [
    (5, "kn", {}), (3, "kn", {"min_count": 2}), (3, "wb", {"vocab": ["的", "我", "是", "了", "你"]}),
])
def test_spilled_runs_merge_into_the_model_counted_in_memory(tmp_path, order, smoothing, options):
    text = sentences()
    reference = train_ngram(text, order, smoothing, **options)
    # 150 kB: chunks of ~450 tokens (about 50 runs for 22,527 words), merged in parts of ~2,300 rows
    model, run = train_ngram_bounded([text[:700], text[700:2000], text[2000:]], order, smoothing, memory=150_000,
                                     temp_dir=tmp_path, **options)
    assert run.runs > 10 and run.tokens == sum(map(len, text))
    assert model.vocab == reference.vocab
    for n in range(order):
        assert np.array_equal(model.keys[n], reference.keys[n])
        assert np.array_equal(model.prob[n], reference.prob[n]) and np.array_equal(model.backoff[n],
                                                                                   reference.backoff[n])
    assert model.params == reference.params
    assert list(tmp_path.iterdir()) == []  # the runs are removed


def test_cli_with_a_tiny_budget_spills_and_writes_the_same_arpa_bytes(tmp_path, monkeypatch, capsys):
    reference = tmp_path / "memory.arpa"
    train_ngram(sentences(), 5, "kn").save_arpa(reference)
    output = tmp_path / "spilled.arpa"
    code = run_blm(monkeypatch, "ngram", "train", TRAIN, "-n", 5, "--lang", "space", "--memory", "1M",
                   "--temp-dir", tmp_path, "--no-progress", "-o", output)
    assert code == 0
    runs = int(re.search(r"counted in (\d+) sorted runs", capsys.readouterr().err).group(1))
    assert runs > 1
    assert output.read_bytes() == reference.read_bytes()


@pytest.mark.parametrize("size,says", [
    ("lots", "not a size"), ("-1G", "not a size"), ("4X", "not a size"), ("", "not a size"), ("1e9", "not a size"),
    ("0", "below the smallest"), ("1K", "below the smallest"), ("0%", "percentage"), ("150%", "percentage"),
    ("99999T", "more than this machine"),
])
def test_a_bad_memory_size_is_one_line(tmp_path, monkeypatch, capsys, size, says):
    code = run_blm(monkeypatch, "ngram", "train", TRAIN, "--lang", "space", "--memory", size, "--no-progress",
                   "-o", tmp_path / "m.arpa")
    assert_one_line_error(code, capsys.readouterr().err, says=says)
    assert not (tmp_path / "m.arpa").exists()


def test_memory_sizes_read_as_lmplz_reads_them():
    assert parse_memory("4G") == 4 << 30 and parse_memory("1.5m") == 3 << 19 and parse_memory("2097152") == 2 << 20


def test_a_temp_dir_that_is_missing_or_read_only_is_one_line(tmp_path, monkeypatch, capsys):
    args = ["ngram", "train", TRAIN, "--lang", "space", "--memory", "1M", "--no-progress", "-o", tmp_path / "m.arpa"]
    code = run_blm(monkeypatch, *args, "--temp-dir", tmp_path / "nowhere")
    assert_one_line_error(code, capsys.readouterr().err, says="not a directory")
    with tiny_tmpfs(tmp_path / "ro", read_only=True) as mounted:
        if not mounted:
            pytest.skip("mounting a tmpfs needs root")
        code = run_blm(monkeypatch, *args, "--temp-dir", tmp_path / "ro")
        assert_one_line_error(code, capsys.readouterr().err, says="read-only")
    assert not (tmp_path / "m.arpa").exists()


def test_a_temp_dir_that_fills_up_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    with tiny_tmpfs(tmp_path / "small", size="64k") as mounted:
        if not mounted:
            pytest.skip("mounting a tmpfs needs root")
        # the spooled text alone (4 bytes a word, 22,527 words) is larger than the disk
        code = run_blm(monkeypatch, "ngram", "train", TRAIN, "--lang", "space", "--memory", "1M", "--temp-dir",
                       tmp_path / "small", "--no-progress", "-o", tmp_path / "m.arpa")
        assert_one_line_error(code, capsys.readouterr().err, says="no space left")
        assert list((tmp_path / "small").iterdir()) == []
    assert not (tmp_path / "m.arpa").exists()


def test_a_sentence_longer_than_a_chunk_is_a_chunk_of_its_own(tmp_path):
    # chunks of 64 tokens (the smallest), <s> and </s> included: the 502-token sentences are chunks of their
    # own, and the short ones around them share one: [0] [1] [2 3] [4] [5 6] [7] [8]
    text = [["x", "y"], [f"w{i % 37}" for i in range(500)], ["y", "x", "z"]] * 3
    reference = train_ngram(text, 4, "kn")
    model, run = train_ngram_bounded([text], 4, "kn", memory=1, temp_dir=tmp_path)
    assert run.chunk_tokens == 64 and run.runs == 7
    for n in range(4):
        assert np.array_equal(model.keys[n], reference.keys[n]) and np.array_equal(model.prob[n], reference.prob[n])


def test_batches_numbered_apart_get_the_ids_of_one_pass():
    # what --jobs workers send (each batch numbered on its own) against numbering the batches in one pass
    from bilingual_lm.ngram.vocabulary import TrainingNumbering, number_locally

    text = sentences()
    batches = [text[:500], text[500:501], text[501:2000], text[2000:]]
    apart, together = TrainingNumbering(min_count=2), TrainingNumbering(min_count=2)
    for batch in batches:
        local_body, local_lengths = apart.number_local(number_locally(batch))
        body, lengths = together.number(batch)
        assert np.array_equal(local_body, body) and np.array_equal(local_lengths, lengths)
    (vocabulary_apart, renumber_apart), (vocabulary, renumber) = apart.finish(), together.finish()
    assert vocabulary_apart.words == vocabulary.words and np.array_equal(renumber_apart, renumber)
