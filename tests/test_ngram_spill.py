"""Training within a memory budget: a text counted in chunks, spilled as sorted runs and merged, gives the same
model, byte for byte, as counting it whole in memory (`train_ngram`, the reference), and a Kneser-Ney model
estimated and written range by range from its tables on disk gives the same ARPA bytes as `write_arpa` of the
model in memory; bad budgets and temporary directories are one line and exit 2."""

import re

import numpy as np
import pytest
from hostile import assert_one_line_error, tiny_tmpfs
from hostile import run_in_process as run_blm
from test_ngram_data import KENLM

from bilingual_lm.ngram import train_ngram
from bilingual_lm.ngram.counting import count_ngrams
from bilingual_lm.ngram.spill import parse_memory, train_ngram_bounded, write_arpa_bounded
from bilingual_lm.ngram.spill.kneser_ney import write_kneser_ney_arpa
from bilingual_lm.ngram.spill.memory import resident, spare
from bilingual_lm.ngram.spill.store import spill_directory
from bilingual_lm.ngram.spill.tables import DiskCounts
from bilingual_lm.ngram.vocabulary import encode_training

TRAIN = KENLM / "zh.train.txt"


def sentences():
    return [line.split() for line in TRAIN.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("order,smoothing,options", [
    (5, "kn", {}), (3, "kn", {"min_count": 2}), (3, "wb", {"vocab": ["的", "我", "是", "了", "你"]}),
])
def test_spilled_runs_merge_into_the_model_counted_in_memory(tmp_path, order, smoothing, options):
    text = sentences()[:400]
    reference = train_ngram(text, order, smoothing, **options)
    # a budget below what the process holds: chunks of 64 tokens (the smallest; about 50 runs for 400
    # sentences), merged in parts of 4,096 rows (the smallest)
    model, run = train_ngram_bounded([text[:70], text[70:200], text[200:]], order, smoothing, memory=1,
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
    corpus = tmp_path / "train.txt"
    corpus.write_text("\n".join(" ".join(words) for words in sentences()[:600]) + "\n", encoding="utf-8")
    reference = tmp_path / "memory.arpa"
    train_ngram(sentences()[:600], 5, "kn").save_arpa(reference)
    output = tmp_path / "spilled.arpa"
    # 1 MB, less than the process holds: the smallest chunks, and the model estimated from disk in ranges of
    # 1,024 rows
    code = run_blm(monkeypatch, "ngram", "train", corpus, "-n", 5, "--lang", "space", "--memory", "1M",
                   "--temp-dir", tmp_path, "--no-progress", "-o", output)
    assert code == 0
    said = capsys.readouterr().err
    assert int(re.search(r"counted in (\d+) sorted runs", said).group(1)) > 1
    assert "estimated and written from disk" in said
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


def test_the_budget_counts_what_the_process_already_holds():
    held = resident()
    grown = np.ones(64 << 20, dtype=np.uint8)  # 64 MB more, touched
    assert resident() - held >= 60 << 20 and spare(held + (100 << 20)) <= 40 << 20
    del grown


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


def _streamed_arpa(tmp_path, text, order, rows, **options):
    """The ARPA of `text` estimated from its tables on disk, `rows` rows at a time."""
    vocabulary, flat, hist = encode_training(text, **options)
    path = tmp_path / f"streamed.{order}.{rows}.arpa"
    with spill_directory(tmp_path) as spill:
        tables = DiskCounts.of(spill, count_ngrams(flat, hist, order, len(vocabulary), vocabulary.bos))
        write_kneser_ney_arpa(tables, vocabulary, path, rows)
    return path


@pytest.mark.parametrize("order,rows,options,lines", [
    (1, 100, {}, None), (2, 7, {}, None), (3, 1, {"min_count": 2}, 300), (5, 64, {}, None),
    (5, 1000, {"vocab": ["的", "我", "是", "了"]}, None),
])
def test_kneser_ney_streamed_from_disk_writes_the_bytes_of_the_model_in_memory(tmp_path, order, rows, options, lines):
    # ranges of 1 to 1,000 rows: contexts larger than a range (a range of its own), ranges cut at every
    # context, the unigrams' single context, <s> in one range of many
    text = sentences()[:lines]
    reference = tmp_path / "memory.arpa"
    train_ngram(text, order, "kn", **options).save_arpa(reference)
    assert _streamed_arpa(tmp_path, text, order, rows, **options).read_bytes() == reference.read_bytes()


def test_orders_that_no_sentence_reaches_stream_as_empty_sections(tmp_path):
    # "<s> a b </s>" has no 5-gram and no 6-gram: both sections are empty, and the 4-grams have no context terms
    text = [["a", "b"], ["b"], ["a", "b"], ["b", "a"]]
    reference = tmp_path / "memory.arpa"
    train_ngram(text, 6, "kn").save_arpa(reference)
    assert _streamed_arpa(tmp_path, text, 6, 2).read_bytes() == reference.read_bytes()


def test_ranges_never_split_a_context_and_cover_every_row(tmp_path):
    text = sentences()[:400]
    vocabulary, flat, hist = encode_training(text)
    counts = count_ngrams(flat, hist, 3, len(vocabulary), vocabulary.bos)
    with spill_directory(tmp_path) as spill:
        tables = DiskCounts.of(spill, counts)
        for n in (2, 3):
            ranges = list(tables.context_ranges(n, 5))
            assert [a for a, _ in ranges[1:]] == [b for _, b in ranges[:-1]] and ranges[-1][1] == len(counts[n - 1])
            prefix = counts[n - 1].prefix
            assert all(prefix[b - 1] != prefix[b] for _, b in ranges[:-1])  # a cut falls between two contexts


def test_the_api_streams_a_model_larger_than_the_budget_and_reports_it(tmp_path):
    text = sentences()
    reference = tmp_path / "memory.arpa"
    train_ngram(text, 4, "kn").save_arpa(reference)
    # 4 MB beyond what the process holds: the 57,000 n-grams would need ~7 MB in memory, so they are estimated
    # from disk
    run = write_arpa_bounded([text], 4, tmp_path / "bounded.arpa", memory=resident() + (4 << 20), temp_dir=tmp_path)
    assert run.streamed and run.runs > 1 and sum(run.sizes) == sum(len(k) for k in train_ngram(text, 4).keys)
    assert (tmp_path / "bounded.arpa").read_bytes() == reference.read_bytes()
    roomy = write_arpa_bounded([text], 4, tmp_path / "roomy.arpa", memory=1 << 30, temp_dir=tmp_path)
    assert not roomy.streamed and (tmp_path / "roomy.arpa").read_bytes() == reference.read_bytes()


def test_a_budget_too_small_for_the_model_is_one_line(tmp_path, monkeypatch, capsys):
    # 140,000 distinct words: the unigrams' one array held whole (8 bytes each, 1.1 MB) does not fit 1 MB
    corpus = tmp_path / "wide.txt"
    corpus.write_text("\n".join(f"w{i} w{i + 1}" for i in range(0, 140_000, 2)) + "\n", encoding="utf-8")
    code = run_blm(monkeypatch, "ngram", "train", corpus, "-n", 1, "--lang", "space", "--memory", "1M",
                   "--temp-dir", tmp_path, "--no-progress", "-o", tmp_path / "m.arpa")
    assert_one_line_error(code, capsys.readouterr().err, says="too small for this model")
    assert not (tmp_path / "m.arpa").exists() and [p.name for p in tmp_path.iterdir()] == ["wide.txt"]
