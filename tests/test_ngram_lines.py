"""Lines to ids in bulk (`ngram/lines.py`, `ngram/probing.py`, `number_lines`) against `str.split` and a dict,
`score_lines` against KenLM's own query output, and training on text split at spaces against `train_ngram`."""

import math
import sys

import numpy as np
import pytest
from hostile import run_in_process as run_blm
from test_ngram_data import KENLM, kenlm_query, sentences

from bilingual_lm.ngram import load_ngram, train_ngram
from bilingual_lm.ngram.arpa import write_arpa
from bilingual_lm.ngram.lines import OTHER_SPACES, PACKED_BYTES, split_lines
from bilingual_lm.ngram.probing import ProbingTable
from bilingual_lm.ngram.vocabulary import Vocabulary, number_lines, number_locally


def test_the_separators_outside_ascii_are_every_code_point_str_split_splits_at():
    assert OTHER_SPACES == "".join(chr(c) for c in range(0x80, sys.maxunicode + 1) if chr(c).isspace())


@pytest.mark.parametrize("columns", [1, 2])
def test_a_probing_table_finds_what_a_dict_holds(columns):
    rng = np.random.default_rng(columns)
    keys = [rng.integers(0, 50_000, 20_000, dtype=np.uint64) for _ in range(columns)]
    keys[0][:5] = 0  # a key of zeros, several times with other columns
    reference = {}
    for i, key in enumerate(zip(*(k.tolist() for k in keys), strict=True)):
        reference.setdefault(key, i)  # a key given twice keeps its first value (the dict's setdefault)
    unique = list(reference)
    table = ProbingTable(tuple(np.array([k[c] for k in unique], dtype=np.uint64) for c in range(columns)),
                         np.array(list(reference.values())))
    queries = [rng.integers(0, 60_000, 30_000, dtype=np.uint64) for _ in range(columns)]
    queries = [np.concatenate([q, k]) for q, k in zip(queries, keys, strict=True)]  # misses, then every key
    expected = [reference.get(key, -1) for key in zip(*(q.tolist() for q in queries), strict=True)]
    assert table.find(tuple(queries)).tolist() == expected
    empty = ProbingTable(tuple(np.zeros(0, dtype=np.uint64) for _ in range(columns)), np.zeros(0, dtype=np.int64))
    assert empty.find(tuple(queries)).tolist() == [-1] * len(expected)


HOSTILE_LINES = [
    "我 是 学生", "  leading and  trailing  ", "", "   ", "tab\tseparated\x0bvertical\x0cform\rreturn",
    "file\x1cgroup\x1drecord\x1eunit\x1fseparators", "<s> </s> <unk> inside", "exactly15bytes!",
    "sixteen-bytes-xx", "中华人民共和国成立", "中华人民", "中华人民共", "nul\x00byte", "surrogate \udcff here",
    "caf\u00e9 na\u00efve", "emoji 😀 👍🏽", "unknown-word-that-is-long-enough-to-need-the-dictionary",
]


@pytest.fixture(scope="module")
def vocabulary():
    words = {w for line in HOSTILE_LINES for w in line.split()} - {"<s>", "</s>", "<unk>", "中华人民"}
    # a vocabulary word with whitespace inside (an ARPA word may hold U+3000) and one that prefixes others
    return Vocabulary(["<unk>", "<s>", "</s>", *sorted(words), "全角\u3000空格", "中华人", "exactly15bytes"])


@pytest.mark.parametrize("bos,eos", [(True, True), (False, False), (True, False)])
def test_encode_lines_is_encode_sentences_of_str_split(vocabulary, bos, eos):
    expected = vocabulary.encode_sentences([line.split() for line in HOSTILE_LINES], bos, eos)
    got = vocabulary.encode_lines(HOSTILE_LINES, bos, eos)
    for ours, reference in zip(got, expected, strict=True):
        assert np.array_equal(ours, reference)


@pytest.mark.parametrize("lines", [[], [""], ["a\nb"], ["ideographic\u3000space 全角\u3000空格"], ["nbsp\xa0x"],
                                   ["line\u2028separator"]])
def test_what_only_str_split_can_split_goes_through_it(vocabulary, lines):
    assert split_lines(lines) is None or "\n".join(lines).count("\n") == max(len(lines) - 1, 0)
    for ours, reference in zip(vocabulary.encode_lines(lines), vocabulary.encode_sentences(
            [line.split() for line in lines]), strict=True):
        assert np.array_equal(ours, reference)


def test_random_text_splits_and_numbers_as_str_split_does(vocabulary):
    rng = np.random.default_rng(7)
    alphabet = list("ab中文 \t\x1f\r") + ["中华人民共和国", "exactly15bytes", "<s>", "\x00"]
    lines = ["".join(rng.choice(alphabet, rng.integers(0, 30))) for _ in range(500)]
    words = sorted({w for line in lines for w in line.split()} - {"<s>", "</s>", "<unk>"})
    vocab = Vocabulary(["<unk>", "<s>", "</s>", *words[::2]])  # half the words unknown
    assert any(len(w.encode()) > PACKED_BYTES for w in words)
    for ours, reference in zip(vocab.encode_lines(lines), vocab.encode_sentences([s.split() for s in lines]),
                               strict=True):
        assert np.array_equal(ours, reference)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_score_lines_gives_kenlm_query_output(lang):
    model = load_ngram(KENLM / f"{lang}.o3.arpa.gz")
    lines = [" ".join(words) for words in sentences(f"{lang}.test.txt")]
    scores = model.score_lines(lines)
    for i, reference in enumerate(kenlm_query(f"{lang}.o3.query.txt")):
        for (word, vocab_id, length, log10p), (logprob, matched, oov) in zip(reference, scores.sentence(i),
                                                                             strict=True):
            assert logprob / math.log(10) == pytest.approx(log10p, abs=1e-5), (i, word)
            assert (matched, oov) == (length, vocab_id == 0), (i, word)
    split = model.score_sentences([line.split() for line in lines])
    assert np.array_equal(scores.logprobs, split.logprobs) and np.array_equal(scores.offsets, split.offsets)


def assert_numbered_alike(ours, reference):
    assert ours.words == reference.words
    assert np.array_equal(ours.ids, reference.ids) and np.array_equal(ours.lengths, reference.lengths)


@pytest.mark.parametrize("lines", [HOSTILE_LINES, [], ["", "  "], ["a b a", "b c", "a"], ["全角\u3000空格 x", "x"]])
def test_number_lines_numbers_words_on_sight_as_str_split_and_a_dict_do(lines):
    assert_numbered_alike(number_lines(lines), number_locally([line.split() for line in lines]))


def test_number_lines_on_random_text_with_long_and_repeated_words():
    rng = np.random.default_rng(3)
    alphabet = ["中华人民共和国万岁", "中华人民共和国", "exactly15bytes!", "sixteen-bytes-xx", "a", "b", " ", "\t"]
    lines = ["".join(rng.choice(alphabet, rng.integers(0, 40))) for _ in range(2000)]
    assert_numbered_alike(number_lines(lines), number_locally([line.split() for line in lines]))


def test_number_lines_falls_back_where_two_words_share_a_hash(monkeypatch):
    # a hash of one bit: nearly every pair of words clashes, which the check against each group's first word
    # must catch (then str.split and a dict number the batch)
    monkeypatch.setattr("bilingual_lm.ngram.vocabulary.mix", lambda columns: columns[0] & np.uint64(1))
    assert_numbered_alike(number_lines(HOSTILE_LINES), number_locally([line.split() for line in HOSTILE_LINES]))


@pytest.mark.parametrize("jobs", [1, 2])
def test_training_on_text_split_at_spaces_gives_the_model_of_str_split(tmp_path, monkeypatch, jobs):
    monkeypatch.setattr("bilingual_lm.cli.ngram.BATCH_LINES", 50)  # several batches, numbered on their own
    text = (KENLM / "zh.train.txt").read_text(encoding="utf-8").splitlines()[:400]
    text[7] += " 中华人民共和国万岁 全角\u3000空格"  # a long word; whitespace beyond ASCII in one batch
    (tmp_path / "corpus.txt").write_text("\n".join(text) + "\n", encoding="utf-8")
    code = run_blm(monkeypatch, "ngram", "train", tmp_path / "corpus.txt", "-n", 3, "--lang", "space",
                   "--jobs", jobs, "--no-progress", "-o", tmp_path / "m.arpa")
    assert code == 0
    write_arpa(train_ngram([line.split() for line in text if line.split()], 3, "kn"), tmp_path / "reference.arpa")
    assert (tmp_path / "m.arpa").read_bytes() == (tmp_path / "reference.arpa").read_bytes()
