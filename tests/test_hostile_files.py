"""Bad input files and model folders: empty --file, line separators inside a line, pickled, truncated and
fake model weights. Each is one line and exit 2; nothing is unpickled."""

from __future__ import annotations

import pickle
import shutil

import pytest
from hostile import assert_one_line_error, run_in_process

from bilingual_lm.textfile import text_lines


@pytest.mark.parametrize("content", ["", "   \n\t\n", None])
@pytest.mark.parametrize("command", [["segment", "--lang", "en"], ["score", "--lang", "en"]])
def test_a_file_without_text_exits_2_like_stdin(command, content, tmp_path, monkeypatch, capsys):
    path = "/dev/null" if content is None else tmp_path / "empty.txt"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert_one_line_error(run_in_process(monkeypatch, *command, "--file", path), capsys.readouterr().err,
                          says="no text in")


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\x0b", "\x1c"])
def test_a_separator_inside_a_file_line_does_not_split_it(separator, tmp_path, monkeypatch, capsys):
    path = tmp_path / "lines.txt"
    path.write_text(f"hello{separator}world\nsecond line\r\n", encoding="utf-8")
    assert text_lines(path.read_text(encoding="utf-8")) == [f"hello{separator}world", "second line", ""]
    assert run_in_process(monkeypatch, "segment", "--lang", "en", "--format", "json", "--file", path) == 0
    assert len(capsys.readouterr().out.rstrip("\n").split("\n")) == 2  # one JSON line per file line


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    from tiny_causal_lm import tiny_llama, tiny_tokenizer

    folder = tmp_path_factory.mktemp("models") / "good"
    tiny_llama().save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    return folder


def test_the_limit_on_characters_names_the_option_that_raises_it(model_folder, monkeypatch, capsys):
    text = "hello world"
    code = run_in_process(monkeypatch, "score", "--model", f"hf:{model_folder}", "--max-chars", 5, text)
    assert_one_line_error(code, capsys.readouterr().err, says="raise --max-chars")
    assert run_in_process(monkeypatch, "score", "--model", f"hf:{model_folder}", "--max-chars", 11, text) == 0


def test_a_truncated_safetensors_file_is_one_line(model_folder, tmp_path, monkeypatch, capsys):
    folder = shutil.copytree(model_folder, tmp_path / "truncated")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    code = run_in_process(monkeypatch, "score", "--model", f"hf:{folder}", "hello")
    assert_one_line_error(code, capsys.readouterr().err, says="cannot load the model")


class Boom:
    """Unpickling this runs code: the test fails if it ever happens."""

    def __reduce__(self):
        return (exec, ("raise SystemExit('unpickled!')",))


def test_pickled_weights_are_refused_and_never_unpickled(model_folder, tmp_path, monkeypatch, capsys):
    folder = shutil.copytree(model_folder, tmp_path / "pickled")
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(Boom()))
    code = run_in_process(monkeypatch, "score", "--model", f"hf:{folder}", "hello")
    assert_one_line_error(code, capsys.readouterr().err, says="never unpickles")


@pytest.mark.parametrize(("content", "says"), [
    (b"hello, not a model", "not a GGUF file"),
    (b"GGUF\x00\x00\x00\x00" + bytes(100), "GGUF version 0"),
    (b"GGUF\x03\x00\x00\x00" + bytes(7), "cannot convert this GGUF file"),
])
def test_a_file_that_is_not_a_readable_gguf_is_one_line(content, says, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BLM_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "model.gguf").write_bytes(content)
    code = run_in_process(monkeypatch, "score", "--model", f"gguf:{tmp_path / 'model.gguf'}", "hello")
    assert_one_line_error(code, capsys.readouterr().err, says=says)
    assert not list((tmp_path / "cache").rglob("*.safetensors"))
