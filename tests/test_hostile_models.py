"""Bad model files: ARPA and native `.blm` files that no probability model can be, malformed headers, a gzip
bomb, and random damage. Each is one line and exit 2 (or an InputError from the library), never a number."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import numpy as np
import pytest
from hostile import assert_one_line_error, damage_lines, run_in_process
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bilingual_lm.errors import InputError
from bilingual_lm.ngram import load_ngram, train_ngram
from bilingual_lm.ngram.validate import check_tables

SENTENCES = [["我", "爱", "吃", "苹果"], ["他", "爱", "喝", "茶"], ["I", "love", "tea"], ["I", "love", "apples"]]


@pytest.fixture(scope="module")
def model():
    return train_ngram(SENTENCES, 3, "kn")


@pytest.fixture(scope="module")
def arpa_lines(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("arpa") / "m.arpa"
    model.save_arpa(path)
    return path.read_text(encoding="utf-8").split("\n")


def replace_line(lines: list[str], starts: str, new: str) -> list[str]:
    """`lines` with the first line that starts with `starts` replaced by `new`."""
    index = next(i for i, line in enumerate(lines) if line.startswith(starts))
    return [*lines[:index], new, *lines[index + 1:]]


def bigram_line(lines: list[str], words: str) -> int:
    return next(i for i, line in enumerate(lines) if line.split("\t")[1:2] == [words])


def score_file(monkeypatch, capsys, path) -> tuple[int, str, str]:
    code = run_in_process(monkeypatch, "score", "--model", f"ngram:{path}", "--lang", "space", "I love tea")
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def with_backoff(lines: list[str], words: str, value: str) -> list[str]:
    i = bigram_line(lines, words)
    prob, gram, _ = lines[i].split("\t")
    return [*lines[:i], f"{prob}\t{gram}\t{value}", *lines[i + 1:]]


@pytest.mark.parametrize(("change", "says"), [
    (lambda lines: with_backoff(lines, "I love", "300"), "back-off weight 300"),
    (lambda lines: with_backoff(lines, "I love", "1e308"), "back-off weight 1e+308"),
    (lambda lines: with_backoff(lines, "I love", "nan"), "back-off weight is nan"),
    (lambda lines: replace_line(lines, "ngram 2=", "ngram 2=999"), "the header says ngram 2=999"),
    (lambda lines: replace_line(lines, "# bilingual-lm:", "# bilingual-lm: {not json"), "not valid JSON"),
    (lambda lines: replace_line(lines, "# bilingual-lm:", "# bilingual-lm: [1, 2]"), "must be a JSON object"),
    (lambda lines: replace_line(lines, "# bilingual-lm:", '# bilingual-lm: {"smoothing": 3}'),
     "'smoothing' must be a string"),
    (lambda lines: replace_line(lines, "# bilingual-lm:", '# bilingual-lm: {"missing_backoff": 1e400}'),
     "missing_backoff"),
    (lambda lines: replace_line(lines, "# bilingual-lm:", '# bilingual-lm: {"pickle": "x"}'),
     "unknown header field 'pickle'"),
])
def test_an_arpa_file_no_model_can_be_is_one_line(arpa_lines, change, says, tmp_path, monkeypatch, capsys):
    path = tmp_path / "bad.arpa"
    path.write_text("\n".join(change(arpa_lines)), encoding="utf-8")
    code, out, err = score_file(monkeypatch, capsys, path)
    assert_one_line_error(code, err, says=says)
    assert out == ""


def test_a_back_off_that_makes_p_above_1_is_caught_where_it_shows(arpa_lines, tmp_path, monkeypatch, capsys):
    # log10 b(I love) = 50 passes the table check (< 99); without the trigram "I love tea",
    # p(tea | I love) = b(I love) p(tea | love) = 10^50 p(tea | love) > 1
    lines = with_backoff(arpa_lines, "I love", "50")
    lines.pop(next(i for i, line in enumerate(lines) if line.split("\t")[1:2] == ["I love tea"]))
    trigrams = int(next(line for line in lines if line.startswith("ngram 3=")).split("=")[1])
    lines = replace_line(lines, "ngram 3=", f"ngram 3={trigrams - 1}")
    path = tmp_path / "inconsistent.arpa"
    path.write_text("\n".join(lines), encoding="utf-8")
    code, out, err = score_file(monkeypatch, capsys, path)
    assert_one_line_error(code, err, says="p > 1")


def write_native(path, model, **changes):
    """A .blm file of `model` with header fields or arrays replaced (None removes a header field)."""
    meta = {"format": "bilingual-lm-ngram", "version": 1, "order": model.order, "smoothing": model.smoothing,
            "rule": model.rule, "missing_backoff": model.missing_backoff, "is_probability": model.is_probability,
            "params": model.params, "vocab": model.vocab}
    arrays = {}
    for n in range(1, model.order + 1):
        arrays.update({f"keys{n}": model.keys[n - 1], f"prob{n}": model.prob[n - 1],
                       f"backoff{n}": model.backoff[n - 1]})
    for name, value in changes.items():
        if name in arrays:
            arrays[name] = value
        elif value is None:
            meta.pop(name)
        else:
            meta[name] = value
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def changed(array: np.ndarray, index: int, value) -> np.ndarray:
    array = array.copy()
    array[index] = value
    return array


@pytest.mark.parametrize(("changes", "says"), [
    (lambda m: {"prob2": changed(m.prob[1], 0, np.nan)}, "log10 probability nan"),
    (lambda m: {"prob1": changed(m.prob[0], 3, 0.5)}, "log10 probability 0.5"),
    (lambda m: {"backoff1": changed(m.backoff[0], 3, np.inf)}, "back-off weight inf"),
    (lambda m: {"keys2": m.keys[1][::-1].copy()}, "not sorted"),
    (lambda m: {"keys3": changed(m.keys[2], -1, 10**12)}, "out of range"),
    (lambda m: {"keys2": m.keys[1].astype(np.float64)}, "keys must be integers"),
    (lambda m: {"prob2": m.prob[1][:-1]}, "keys but"),
    (lambda m: {"rule": "katz"}, "unknown rule 'katz'"),
    (lambda m: {"order": "3"}, "'order' must be an integer"),
    (lambda m: {"is_probability": None}, "lacks the field 'is_probability'"),
    (lambda m: {"missing_backoff": "x"}, "'missing_backoff' must be a number"),
    (lambda m: {"vocab": [1, 2, 3]}, "list of strings"),
    (lambda m: {"order": 4}, "not a readable"),
    (lambda m: {"keys1": np.array([object()], dtype=object)}, "not a readable"),
])
def test_a_native_file_no_model_can_be_is_one_line(model, changes, says, tmp_path, monkeypatch, capsys):
    path = tmp_path / "bad.blm"
    write_native(path, model, **changes(model))
    code, out, err = score_file(monkeypatch, capsys, path)
    assert_one_line_error(code, err, says=says)
    assert out == ""


def test_the_unchanged_native_file_loads(model, tmp_path):
    write_native(tmp_path / "good.blm", model)
    loaded = load_ngram(tmp_path / "good.blm")
    assert np.allclose(loaded.score_sentences(SENTENCES).logprobs, model.score_sentences(SENTENCES).logprobs)


def test_a_gzip_bomb_is_read_in_bounded_memory(tmp_path):
    bomb = tmp_path / "bomb.arpa.gz"
    bomb.write_bytes(gzip.compress(b"\\data\\\nngram 1=3\n\n\\1-grams:\n" + b"-1\tx\n" * 20_000_000, 9))
    assert bomb.stat().st_size < 200_000  # 120 MB of text
    probe = (
        "import resource, sys; from bilingual_lm.errors import InputError; from bilingual_lm.ngram import load_ngram\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"try:\n    load_ngram({str(bomb)!r})\nexcept InputError as error:\n    print(error, file=sys.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert "more 1-grams than the header's ngram 1=3" in run.stderr
    assert int(run.stdout) < 100_000  # KiB: the 120 MB never sit in memory


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_arpa_files_load_as_a_valid_model_or_raise_input_error(arpa_lines, tmp_path, data):
    lines = damage_lines(arpa_lines, data, st.floats().map(repr))
    path = tmp_path / "damaged.arpa"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    try:
        loaded = load_ngram(path)
    except InputError:
        return
    check_tables(loaded.keys, loaded.prob, loaded.backoff, len(loaded.vocab), loaded.rule, "reloaded")
