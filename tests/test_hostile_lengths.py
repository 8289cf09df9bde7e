"""Long inputs: the paths that were quadratic give the same answers as before, in linear time (measured in
eval/bench/bench_hostile.py, not here), and the bounds that remain are one line naming the option."""

from __future__ import annotations

import functools

from hostile import assert_one_line_error, run_in_process
from hypothesis import given, settings
from hypothesis import strategies as st

from bilingual_lm.segment.jieba_hmm import viterbi

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x4E00 + 400)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.one_of(HAN, st.sampled_from("的了是在我")), min_size=1, max_size=80))
def test_the_linear_viterbi_tags_as_jiebas_own(text):
    from jieba import finalseg

    from bilingual_lm.segment.chinese import default_jieba_tokenizer

    default_jieba_tokenizer()  # installs the linear search into jieba; jieba's is kept below as the reference
    reference = _jieba_viterbi()
    args = (text, "BMES", finalseg.start_P, finalseg.trans_P, finalseg.emit_P)
    assert viterbi(*args) == reference(*args)


@functools.lru_cache(maxsize=1)
def _jieba_viterbi():
    """jieba 0.42's own `finalseg.viterbi`, loaded from its source file (the module's name now points to ours)."""
    import importlib.util

    from jieba import finalseg

    spec = importlib.util.spec_from_file_location("jieba_finalseg_reference", finalseg.__file__,
                                                  submodule_search_locations=[])
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "jieba.finalseg"
    spec.loader.exec_module(module)
    return module.viterbi


def test_a_user_dict_entry_past_the_limit_is_one_line(tmp_path, monkeypatch, capsys):
    path = tmp_path / "user.dict"
    path.write_text("short\n" + "New York " * 500 + "\n", encoding="utf-8")
    code = run_in_process(monkeypatch, "segment", "--lang", "zh", "--user-dict", path, "hello")
    assert_one_line_error(code, capsys.readouterr().err, says="user.dict:2: an entry of 4499 characters")


def test_an_ngram_text_past_the_limit_names_max_chars(monkeypatch, capsys):
    code = run_in_process(monkeypatch, "score", "--lang", "en", "--max-chars", 10, "hello world and more")
    assert_one_line_error(code, capsys.readouterr().err, says="raise --max-chars")
    assert run_in_process(monkeypatch, "score", "--lang", "en", "--max-chars", 30, "hello world and more") == 0
