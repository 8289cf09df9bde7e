"""`blm score`: the chain-rule table, JSON and TSV agree with KenLM's own query output."""

import json
import math
import sys

import pytest
from test_ngram_data import KENLM

from bilingual_lm.cli import main

LN10 = math.log(10)


def run_blm(monkeypatch, *args, stdin: bytes | None = None) -> int:
    """Run the real entry point in-process; its exit status (0 when it returns normally)."""
    monkeypatch.setattr(sys, "argv", ["blm", *map(str, args)])
    if stdin is not None:
        import io

        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    try:
        main()
    except SystemExit as done:
        return done.code
    return 0


def kenlm_query_factors(lang: str, sentence_index: int) -> list[tuple[str, float]]:
    """KenLM's `query -v word` factors (word, log10 p) for one test sentence, `</s>` included."""
    items = (KENLM / f"{lang}.o3.query.txt").read_text(encoding="utf-8").split("\t")
    sentences, current = [], []
    for item in items:
        if "=" not in item:
            continue
        word, rest = item.strip().rsplit("=", 1)
        current.append((word, float(rest.split()[2])))
        if word == "</s>":
            sentences.append(current)
            current = []
    return sentences[sentence_index]


@pytest.fixture()
def kenlm_model():
    return f"ngram:{KENLM / 'zh.o3.arpa.gz'}"


def test_json_gives_kenlms_factors_and_their_sum(monkeypatch, capsys, kenlm_model):
    text = (KENLM / "zh.test.txt").read_text(encoding="utf-8").splitlines()[0]  # "他 是 我 的 老师 。"
    code = run_blm(monkeypatch, "score", "--model", kenlm_model, "--lang", "space", "--format", "json", text)
    assert code == 0
    result = json.loads(capsys.readouterr().out)["results"][0]
    expected = kenlm_query_factors("zh", 0)
    assert [t["text"] for t in result["tokens"]] == [w for w, _ in expected]
    for token, (_, log10) in zip(result["tokens"], expected, strict=True):
        assert token["logprob"] / LN10 == pytest.approx(log10, abs=1e-5)
    assert result["log10"] == pytest.approx(sum(log10 for _, log10 in expected), abs=1e-4)
    assert result["bits_per_char"] == pytest.approx(result["bits"] / len(text))


def test_tsv_has_one_row_per_factor_and_a_total(monkeypatch, capsys, kenlm_model):
    code = run_blm(
        monkeypatch,
        "score",
        "--model",
        kenlm_model,
        "--lang",
        "space",
        "--format",
        "tsv",
        stdin="他 是 我 的 老师 。\n我 家 有 五口 人 。\n".encode(),
    )
    assert code == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()[1:]]
    first = [r for r in rows if r[0] == "0"]
    assert [r[1] for r in first] == ["他", "是", "我", "的", "老师", "。", "</s>", "TOTAL"]
    total = float(first[-1][5])
    assert total == pytest.approx(sum(float(r[5]) for r in first[:-1]), abs=1e-5)
    assert {r[0] for r in rows} == {"0", "1"}


def test_table_shows_each_factor_and_the_product(monkeypatch, capsys, kenlm_model):
    code = run_blm(monkeypatch, "score", "--model", kenlm_model, "--lang", "space", "他 是 我 的 老师 。")
    out = capsys.readouterr().out
    assert code == 0
    assert "p(w_i | history)" in out and "p(S) =" in out and "bits/char" in out
    # The product printed is 10 ** (KenLM's summed log10).
    expected = 10 ** sum(log10 for _, log10 in kenlm_query_factors("zh", 0))
    printed = float(out.split("p(S) =")[1].split("=")[-1].split()[0])
    assert printed == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize(
    "args,message",
    [
        (["   "], "empty or whitespace-only text"),
        (["--lang", "fr", "bonjour"], "unknown --lang 'fr'"),
        (["--model", "bert:x", "hi"], "unknown model string 'bert:x'"),
        (["--model", "ngram:/no/such/model.arpa", "hi"], "/no/such/model.arpa"),
        (["--file", "/no/such/file.txt"], "/no/such/file.txt: no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(monkeypatch, capsys, args, message):
    code = run_blm(monkeypatch, "score", *args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and err.count("\n") == 1 and err.startswith("blm: error:")


def test_non_utf8_file_is_refused(tmp_path, monkeypatch, capsys):
    path = tmp_path / "gbk.txt"
    path.write_bytes("我爱吃披萨".encode("gbk"))
    assert run_blm(monkeypatch, "score", "--file", path) == 2
    assert "not valid UTF-8" in capsys.readouterr().err


def test_a_transformer_gives_the_same_json_with_words_from_jieba(tmp_path, monkeypatch, capsys):
    from tiny_causal_lm import reference_logprobs, tiny_llama, tiny_tokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("BLM_CACHE_DIR", str(tmp_path / "cache"))
    model, tokenizer = tiny_llama(), tiny_tokenizer()
    model.save_pretrained(tmp_path / "tiny")
    tokenizer.save_pretrained(tmp_path / "tiny")
    text = "我爱吃披萨。"
    code = run_blm(monkeypatch, "score", "--model", f"hf:{tmp_path / 'tiny'}", "--lang", "zh", "--format", "json", text)
    assert code == 0
    result = json.loads(capsys.readouterr().out)["results"][0]
    # The reference: one prefix at a time from BOS, the next token's log-softmax.
    ids = [tokenizer.bos_token_id, *tokenizer(text, add_special_tokens=False)["input_ids"]]
    expected = reference_logprobs(model, ids)
    assert [t["logprob"] for t in result["tokens"]] == pytest.approx(expected, abs=1e-4)
    assert result["logprob"] == pytest.approx(sum(expected), abs=1e-4)
    # Words are jieba's (我 / 爱 / 吃 / 披萨 / 。), each the sum of its aligned tokens.
    assert "".join(w["text"] for w in result["words"]) == text
    assert sum(w["logprob"] for w in result["words"]) == pytest.approx(result["logprob"], abs=1e-6)


@pytest.mark.parametrize("lang", ["space", "zh", "en", "auto", "char"])
def test_tsv_of_a_file_in_bulk_equals_the_rows_of_the_token_path(tmp_path, monkeypatch, capsys, kenlm_model, lang):
    # the reference: `score` (a TextScore per text) through `write_tsv`, the path of every other scorer
    from bilingual_lm.cli.score import write_tsv
    from bilingual_lm.score.ngram import load_ngram_scorer

    lines = [line.replace(" ", "") if i % 2 else line for i, line in
             enumerate((KENLM / "zh.test.txt").read_text(encoding="utf-8").splitlines()[:60])]
    lines += ["I love 北京 and 天安门 too", "   spaced   out   ", "no Chinese at all."]
    (tmp_path / "texts.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_tsv(load_ngram_scorer(kenlm_model.removeprefix("ngram:"), lang).score(lines))
    expected = capsys.readouterr().out
    code = run_blm(monkeypatch, "score", "--model", kenlm_model, "--lang", lang, "--format", "tsv", "-f",
                   tmp_path / "texts.txt", "--batch-size", 7)
    assert code == 0
    assert capsys.readouterr().out == expected
