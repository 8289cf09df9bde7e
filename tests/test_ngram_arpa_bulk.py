"""ARPA files read in bulk (`ngram/arpa_bulk.py`) against the line-by-line reader: the same tables, bit for bit,
or None (and then the line reader's result or error)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from hostile import damage_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ngram_data import KENLM, sentences

from bilingual_lm.errors import InputError
from bilingual_lm.ngram import arpa, train_ngram

TINY = """\\data\\
ngram 1=4
ngram 2=2

\\1-grams:
{p1}\t<s>\t{b1}
-0.5\t</s>
-0.25\ta\t-0.125
-0.75\tb

\\2-grams:
-0.1\t<s> a
-0.2\ta b

\\end\\
"""


def line_reader(path, monkeypatch):
    """`read_arpa` with the bulk path turned off."""
    with monkeypatch.context() as patch:
        patch.setattr(arpa, "_read_plain", lambda path, device: None)
        return arpa.read_arpa(path)


def reads_as_the_line_reader(path, monkeypatch):
    """`read_arpa` (bulk where it can) raises the line reader's error, or gives its tables."""
    try:
        reference = line_reader(path, monkeypatch)
    except InputError as error:
        with pytest.raises(InputError) as raised:
            arpa.read_arpa(path)
        assert str(raised.value) == str(error)
    else:
        assert_same_model(arpa.read_arpa(path), reference)


def assert_same_model(ours, reference):
    assert ours.vocab == reference.vocab
    assert (ours.smoothing, ours.params, ours.missing_backoff, ours.is_probability) == (
        reference.smoothing, reference.params, reference.missing_backoff, reference.is_probability)
    for mine, theirs in zip([*ours.keys, *ours.prob, *ours.backoff],
                            [*reference.keys, *reference.prob, *reference.backoff], strict=True):
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)


def written(tmp_path, smoothing, order, **options):
    path = tmp_path / f"{smoothing}.arpa"
    train_ngram(sentences("zh.train.txt")[:300], order, smoothing, **options).save_arpa(path)
    return path


@pytest.mark.parametrize("make", [
    lambda tmp: KENLM / "zh.o3.arpa.gz",
    lambda tmp: KENLM / "en.o3.arpa.gz",
    lambda tmp: written(tmp, "kn", 5),
    lambda tmp: written(tmp, "wb", 3),
    lambda tmp: written(tmp, "stupid", 3, alpha=0.25),
    lambda tmp: written(tmp, "mle", 2),  # log10 0 written as -99
])
def test_kenlms_files_and_ours_read_in_bulk_give_the_line_readers_tables(tmp_path, monkeypatch, make):
    path = make(tmp_path)
    bulk = arpa._read_plain(path, "cpu")
    assert bulk is not None  # the plain layout: read in bulk
    assert_same_model(bulk, line_reader(path, monkeypatch))


@pytest.mark.parametrize("p1,b1", [
    ("-99", "-1.5e-05"), ("-100", "-1E-3"), ("-inf", "-0"), ("-99.0", "-.5"), ("-99", "-5."), ("-99", "-0000.25"),
    ("-99", "-1.2345678901234567890"), ("-99", "-123456789012345"), ("-99", "0.333333333333333314829616256247"),
])
def test_numbers_in_every_form_read_as_float_reads_them(tmp_path, monkeypatch, p1, b1):
    path = tmp_path / "m.arpa"
    path.write_text(TINY.format(p1=p1, b1=b1), encoding="utf-8")
    bulk = arpa._read_plain(path, "cpu")
    assert bulk is not None
    assert_same_model(bulk, line_reader(path, monkeypatch))
    assert bulk.backoff[0][0] == (float(b1) if float(b1) > -99 else -np.inf)  # log10 0 at or below -99


@pytest.mark.parametrize("change", [
    lambda text: text.replace("<s> a", "<s>  a"),  # two spaces
    lambda text: text.replace("\n", "\r\n"),
    lambda text: text.replace("\ta\t", "\ta\u3000x\t"),  # whitespace beyond ASCII inside a word
    lambda text: text.replace("-0.75\tb", "-0.75\tb\t"),  # an empty back-off field
    lambda text: text.replace("-0.75\tb", "-0.75 \tb"),
    lambda text: text.replace("\\2-grams:\n", "\\2-grams:\n\n"),  # a blank line inside a section
    lambda text: text.replace("-0.2\ta b", "-0.2\ta c"),  # a word that is not a unigram
    lambda text: text.replace("-0.2\ta b", "-0.1\t<s> a"),  # an n-gram twice
    lambda text: text.replace("-0.25\ta", "0.25\ta"),  # a positive log10 probability
    lambda text: text.replace("-0.25\ta", "nan\ta"),
])
def test_anything_but_the_plain_layout_is_left_to_the_line_reader(tmp_path, monkeypatch, change):
    path = tmp_path / "m.arpa"
    path.write_bytes(change(TINY.format(p1="-99", b1="-0.5")).encode("utf-8"))
    assert arpa._read_plain(path, "cpu") is None
    reads_as_the_line_reader(path, monkeypatch)


def test_a_file_larger_than_its_counts_allow_is_not_read_whole(tmp_path):
    path = tmp_path / "bomb.arpa.gz"
    path.write_bytes(gzip.compress(b"\\data\\\nngram 1=3\n\n\\1-grams:\n" + b"-1\tx\n" * 2_000_000))
    assert arpa._plain_sections(path) is None  # 12 MB of text where 3 unigrams were announced


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_files_read_in_bulk_as_the_line_reader_reads_them(tmp_path, monkeypatch, data):
    decimals = st.from_regex(r"-?[0-9]{0,3}\.?[0-9]{0,3}(e-?[0-9])?", fullmatch=True)
    lines = damage_lines(TINY.format(p1="-99", b1="-0.5").split("\n"), data, st.floats().map(repr) | decimals)
    path = tmp_path / "damaged.arpa"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    reads_as_the_line_reader(path, monkeypatch)
