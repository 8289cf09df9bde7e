"""ARPA and native files: round trips that change nothing, and malformed files as clear errors."""

import math

import numpy as np
import pytest
from test_ngram_data import KENLM, sentences

from bilingual_lm.errors import InputError
from bilingual_lm.ngram import load_ngram, train_ngram
from bilingual_lm.ngram.arpa_text import shortest_float32


@pytest.fixture(scope="module")
def corpus():
    return sentences("zh.train.txt")[:500]


def assert_same_model(a, b, dtype=np.float64):
    assert a.vocab == b.vocab and a.order == b.order and a.smoothing == b.smoothing
    assert a.is_probability == b.is_probability and a.missing_backoff == b.missing_backoff
    for n in range(a.order):
        assert np.array_equal(a.keys[n], b.keys[n])
        assert np.array_equal(a.prob[n].astype(dtype), b.prob[n].astype(dtype))
        assert np.array_equal(a.backoff[n].astype(dtype), b.backoff[n].astype(dtype))


@pytest.mark.parametrize("smoothing", ["mle", "wb", "kn", "stupid"])
def test_arpa_written_and_read_back_keeps_every_value_at_float32(tmp_path, corpus, smoothing):
    # ARPA holds KenLM's precision: each value's float32 rounding, exactly
    model = train_ngram(corpus, 3, smoothing)
    model.save_arpa(tmp_path / "m.arpa")
    again = load_ngram(tmp_path / "m.arpa")
    assert_same_model(model, again, np.float32)
    test = sentences("zh.test.txt")
    assert np.allclose(model.score_sentences(test).logprobs, again.score_sentences(test).logprobs, rtol=1e-6)
    again.save_arpa(tmp_path / "again.arpa")
    assert (tmp_path / "again.arpa").read_bytes() == (tmp_path / "m.arpa").read_bytes()


def test_arpa_numbers_are_the_shortest_decimals_of_their_float32():
    # the reference: numpy's Dragon4 shortest-unique digits of each float32, written positionally
    rng = np.random.default_rng(0)
    values = np.concatenate([-rng.exponential(2, 20_000), -(10 ** rng.uniform(-11, 1.9, 20_000)),
                             rng.normal(0, 1, 5_000), [0.0, -0.5, 1.0, -1.0, -10.0, -98.5, 3e11, -2e-12]])
    buffer, starts, lengths = shortest_float32(values)
    ours = [buffer[a:a + b].tobytes().decode() for a, b in zip(starts.tolist(), lengths.tolist(), strict=True)]
    assert ours == [np.format_float_positional(np.float32(v), unique=True, trim="-") for v in values]
    buffer, starts, lengths = shortest_float32(np.array([-np.inf]))
    assert buffer[starts[0]:starts[0] + lengths[0]].tobytes() == b"-99"


@pytest.mark.parametrize("smoothing", ["mle", "addk", "wb", "kn", "stupid"])
def test_native_written_and_read_back_changes_nothing(tmp_path, corpus, smoothing):
    model = train_ngram(corpus, 4, smoothing, k=0.5)
    model.save(tmp_path / "m.blm")
    again = load_ngram(tmp_path / "m.blm")
    assert_same_model(model, again)
    assert again.rule == model.rule and again.params == model.params


def test_stupid_backoff_keeps_alpha_for_unstored_contexts_through_arpa(tmp_path, corpus):
    model = train_ngram(corpus, 2, "stupid", alpha=0.25)
    model.save_arpa(tmp_path / "m.arpa")
    again = load_ngram(tmp_path / "m.arpa")
    assert not again.is_probability
    # an unknown context word: S(w | <unk>) = α · S(w)
    # (the back-off weights of stored contexts are float32 in ARPA, as α of <unk> is here)
    assert again.logprob("。", ["zzz"]) == pytest.approx(math.log(0.25) + again.logprob("。", []), abs=1e-7)


def test_mle_zero_probabilities_survive_arpa_as_minus_99(tmp_path):
    model = train_ngram([["a", "b"], ["a", "a"], ["b"]], 2, "mle")
    model.save_arpa(tmp_path / "m.arpa")
    text = (tmp_path / "m.arpa").read_text(encoding="utf-8")
    assert "-99\t<unk>" in text
    assert load_ngram(tmp_path / "m.arpa").logprob("a", ["b"]) == -math.inf


def test_add_k_above_order_one_has_no_arpa_form(tmp_path, corpus):
    with pytest.raises(InputError, match="no exact ARPA form"):
        train_ngram(corpus, 2, "addk").save_arpa(tmp_path / "m.arpa")
    assert not list(tmp_path.iterdir())  # nothing half-written
    train_ngram(corpus, 1, "addk").save_arpa(tmp_path / "unigram.arpa")
    assert load_ngram(tmp_path / "unigram.arpa").order == 1


def test_gzipped_arpa_loads():
    assert load_ngram(KENLM / "en.o3.arpa.gz").order == 3


TINY_ARPA = """\\data\\
ngram 1=4
ngram 2=2

\\1-grams:
-0.5\t<unk>\t0
0\t<s>\t-0.3
-0.4\t</s>\t0
-0.6\ta\t-0.2

\\2-grams:
-0.1\t<s> a
-0.2\ta </s>

\\end\\
"""


def test_the_tiny_arpa_loads_and_scores_by_backoff(tmp_path):
    (tmp_path / "t.arpa").write_text(TINY_ARPA, encoding="utf-8")
    model = load_ngram(tmp_path / "t.arpa")
    # <s> a: stored, -0.1; a </s>: stored, -0.2; </s> after <s>: backoff(<s>) + p(</s>) = -0.3 - 0.4
    assert model.logprob("a", ["<s>"]) == pytest.approx(-0.1 * math.log(10))
    assert model.logprob("</s>", ["<s>"]) == pytest.approx(-0.7 * math.log(10))
    assert [round(lp / math.log(10), 12) for lp, _, _ in model.score_sentence(["a"])] == [-0.1, -0.2]


@pytest.mark.parametrize("broken,line,problem", [
    (TINY_ARPA.replace("ngram 2=2", "ngram 2=3"), 3, "header says ngram 2=3"),
    (TINY_ARPA.replace("ngram 1=4", "ngram 1=3"), 9, "more 1-grams than"),
    (TINY_ARPA.replace("\\2-grams:", "\\3-grams:"), 11, "missing the \\2-grams: section"),
    (TINY_ARPA.replace("-0.6\ta", "minus\ta"), 9, "'minus' is not a number"),
    (TINY_ARPA.replace("-0.2\ta </s>", "nan\ta </s>"), 13, "is nan"),
    (TINY_ARPA.replace("\t-0.2\n", "\tNaN\n"), 9, "is NaN"),
    (TINY_ARPA.replace("\\data\\", "data"), 1, "expected \\data\\"),
    (TINY_ARPA.replace("\\end\\", ""), 16, "expected \\end\\"),
    (TINY_ARPA.replace("ngram 2=2", "ngram 3=2"), 3, "count of 2-grams"),
    (TINY_ARPA.replace("-0.1\t<s> a", "-0.1\t<s> b"), 12, "'b' is not among the unigrams"),
    (TINY_ARPA.replace("-0.6\ta", "0.6\ta"), 9, "positive log10 probability"),
    (TINY_ARPA.replace("-0.6\ta\t-0.2", "-0.6\ta b\t-0.2"), 9, "a 1-gram line needs"),
])
def test_malformed_arpa_is_an_input_error_naming_the_line(tmp_path, broken, line, problem):
    (tmp_path / "bad.arpa").write_text(broken, encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_ngram(tmp_path / "bad.arpa")
    assert f"bad.arpa:{line}:" in str(error.value)
    assert problem in str(error.value)


def test_unreadable_files_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_ngram(tmp_path / "missing.arpa")
    (tmp_path / "latin1.arpa").write_bytes("\\data\\\nngram 1=1\n\n\\1-grams:\n-1\tcaf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not valid UTF-8"):
        load_ngram(tmp_path / "latin1.arpa")
    (tmp_path / "broken.blm").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="not a readable bilingual-lm n-gram file"):
        load_ngram(tmp_path / "broken.blm")
