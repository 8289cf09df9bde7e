"""Agreement with KenLM: our modified Kneser-Ney against lmplz + query, and KenLM's own ARPA files."""

import gzip
import math

import numpy as np
import pytest
from test_ngram_data import KENLM, kenlm_query, sentences

from bilingual_lm.ngram import load_ngram, train_ngram


def ngram_ids(model) -> list[np.ndarray]:
    """The word ids of every stored n-gram, one (count × n) array per order, from the trie keys."""
    size = len(model.vocab)
    rows = [np.arange(size)[:, None]]
    for keys in model.keys[1:]:
        rows.append(np.concatenate([rows[-1][keys // size], (keys % size)[:, None]], axis=1))
    return rows


def by_ngram(model) -> dict[tuple[str, ...], tuple[float, float]]:
    """Every stored n-gram as words -> (log10 p, log10 back-off)."""
    table = {}
    for n, ids in enumerate(ngram_ids(model), start=1):
        for row, p, b in zip(ids.tolist(), model.prob[n - 1].tolist(), model.backoff[n - 1].tolist(), strict=True):
            table[tuple(model.vocab[i] for i in row)] = (p, b)
    return table


def assert_matches_query(model, lang: str, order: int, tolerance: float) -> None:
    expected = kenlm_query(f"{lang}.o{order}.query.txt")
    test = sentences(f"{lang}.test.txt")
    assert len(expected) == len(test)
    scores = model.score_sentences(test)
    for i, (words, reference) in enumerate(zip(test, expected, strict=True)):
        assert [w for w, _, _, _ in reference] == [*words, "</s>"]
        ours = scores.sentence(i)
        for (word, vocab_id, length, log10p), (logprob, matched, oov) in zip(reference, ours, strict=True):
            assert logprob / math.log(10) == pytest.approx(log10p, abs=tolerance), (i, word)
            assert matched == length, (i, word)
            assert oov == (vocab_id == 0), (i, word)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("order", [3, 5])
def test_modified_kneser_ney_matches_kenlm_query_on_every_test_word(lang, order):
    model = train_ngram(sentences(f"{lang}.train.txt"), order, "kn")
    assert_matches_query(model, lang, order, tolerance=1e-4)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_modified_kneser_ney_stores_the_same_ngrams_and_weights_as_lmplz(lang):
    ours = by_ngram(train_ngram(sentences(f"{lang}.train.txt"), 3, "kn"))
    kenlm = by_ngram(load_ngram(KENLM / f"{lang}.o3.arpa.gz"))
    assert ours.keys() == kenlm.keys()
    worst_prob = max(abs(ours[g][0] - kenlm[g][0]) for g in kenlm)
    worst_backoff = max(abs(ours[g][1] - kenlm[g][1]) for g in kenlm)
    assert worst_prob < 1e-5 and worst_backoff < 1e-5  # lmplz computes in float32


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_reading_kenlm_arpa_gives_kenlm_query_numbers(lang):
    assert_matches_query(load_ngram(KENLM / f"{lang}.o3.arpa.gz"), lang, 3, tolerance=1e-5)


def test_kenlm_arpa_written_and_read_back_is_unchanged(tmp_path):
    model = load_ngram(KENLM / "zh.o3.arpa.gz")
    model.save_arpa(tmp_path / "copy.arpa")
    again = load_ngram(tmp_path / "copy.arpa")
    assert again.vocab == model.vocab
    for n in range(model.order):
        assert np.array_equal(again.keys[n], model.keys[n])
        assert np.array_equal(again.prob[n], model.prob[n])
        assert np.array_equal(again.backoff[n], model.backoff[n])
    again.save_arpa(tmp_path / "copy2.arpa")
    assert (tmp_path / "copy2.arpa").read_bytes() == (tmp_path / "copy.arpa").read_bytes()


def test_kenlm_arpa_written_by_us_has_kenlm_own_lines(tmp_path):
    # lmplz writes float32 values by their shortest decimals, as we do: every n-gram line comes back
    # character for character (only the order of the lines within a section may differ)
    load_ngram(KENLM / "zh.o3.arpa.gz").save_arpa(tmp_path / "copy.arpa")
    kenlm_lines = gzip.open(KENLM / "zh.o3.arpa.gz", "rt", encoding="utf-8").read().split("\n")
    our_lines = (tmp_path / "copy.arpa").read_text(encoding="utf-8").split("\n")
    assert sorted(line for line in our_lines if "\t" in line) == sorted(line for line in kenlm_lines if "\t" in line)


def test_our_arpa_follows_kenlm_format_rules(tmp_path):
    # The rules of KenLM's lm/read_arpa.cc, checked line by line: '#' comments and blank lines before
    # \data\, consecutive "ngram N=COUNT" lines, a "\N-grams:" section per order holding exactly COUNT
    # tab-separated entries (a back-off weight on all but the highest order), then \end\.
    train_ngram(sentences("en.train.txt"), 3, "kn").save_arpa(tmp_path / "en.arpa")
    lines = (tmp_path / "en.arpa").read_text(encoding="utf-8").split("\n")
    i = 0
    while not lines[i].strip() or lines[i].startswith("#"):
        i += 1
    assert lines[i] == "\\data\\"
    i += 1
    counts = []
    while lines[i]:
        name, count = lines[i].split("=")
        assert name == f"ngram {len(counts) + 1}"
        counts.append(int(count))
        i += 1
    for n, count in enumerate(counts, start=1):
        while not lines[i]:
            i += 1
        assert lines[i] == f"\\{n}-grams:"
        entries = lines[i + 1:i + 1 + count]
        for entry in entries:
            fields = entry.split("\t")
            assert len(fields) == (3 if n < len(counts) else 2)
            assert len(fields[1].split(" ")) == n
            assert all(math.isfinite(float(x)) for x in fields[:1] + fields[2:])
        i += 1 + count
        assert lines[i] == ""
    assert [line for line in lines[i:] if line] == ["\\end\\"]


def test_kenlm_python_module_scores_our_arpa_as_we_do(tmp_path):
    kenlm = pytest.importorskip("kenlm")
    model = train_ngram(sentences("zh.train.txt"), 3, "kn")
    model.save_arpa(tmp_path / "zh.arpa")
    reference = kenlm.Model(str(tmp_path / "zh.arpa"))
    test = sentences("zh.test.txt")
    scores = model.score_sentences(test)
    for i, words in enumerate(test):
        theirs = [p for p, _, _ in reference.full_scores(" ".join(words))]
        ours = [lp / math.log(10) for lp, _, _ in scores.sentence(i)]
        assert ours == pytest.approx(theirs, abs=1e-5)
