"""`blm segment` through click's runner and as a real process (errors: one line, exit status 2)."""

import json
import shutil
import subprocess
import sys

import jieba
import pytest
from click.testing import CliRunner

from bilingual_lm.cli import cli

BLM = [sys.executable, "-c", "from bilingual_lm.cli import main; main()"]


def _run(*args, input=None):
    return subprocess.run([*BLM, *args], input=input, capture_output=True)


def test_text_output_one_line_per_input():
    result = CliRunner().invoke(cli, ["segment", "我用Python写了一个LM demo。", "Don't stop!"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "我用 Python 写 了 一个 LM demo 。\nDon't stop !\n"


def test_json_output_has_spans():
    result = CliRunner().invoke(cli, ["segment", "--lang", "zh", "--format", "json", "我爱 北京"])
    record = json.loads(result.stdout)
    assert record == {
        "text": "我爱 北京",
        "tokens": [
            {"text": "我", "lang": "zh", "start": 0, "end": 1},
            {"text": "爱", "lang": "zh", "start": 1, "end": 2},
            {"text": "北京", "lang": "zh", "start": 3, "end": 5},
        ],
    }


def test_zh_options_reach_jieba(tmp_path):
    result = CliRunner().invoke(cli, ["segment", "--lang", "zh", "--mode", "full", "中华人民共和国"])
    assert sorted(result.stdout.split()) == sorted(jieba.lcut("中华人民共和国", cut_all=True))
    result = CliRunner().invoke(cli, ["segment", "--lang", "zh", "--no-hmm", "他来到了网易杭研大厦"])
    assert result.stdout.split() == jieba.lcut("他来到了网易杭研大厦", HMM=False)
    (tmp_path / "user.dict").write_text("杭研大厦\nLM demo\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "segment",
            "--lang",
            "zh",
            "--backend",
            "rjieba",
            "--user-dict",
            str(tmp_path / "user.dict"),
            "网易杭研大厦的LM demo",
        ],
    )
    assert result.stdout == "网易 杭研大厦 的 LM demo\n"


def test_reads_files_and_stdin(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("你好世界\n\nhello world\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["segment", "--lang", "char", "--file", str(path)])
    assert result.stdout == "你 好 世 界\nh e l l o w o r l d\n"
    result = _run("segment", "--lang", "en", input=b"one two\nthree.\n")
    assert result.returncode == 0 and result.stdout.decode() == "one two\nthree .\n"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--lang", "xx", "hi"], b"", "unknown language or segmenter 'xx'"),
        (["   "], b"", "empty or whitespace-only text"),
        ([], b"\n \n", "no text given"),
        (["--file", "/nonexistent/in.txt"], b"", "no such file"),
        (["--file", "BADFILE"], b"", "not valid UTF-8"),
        (["--lang", "en", "--mode", "search", "hi"], b"", "--mode: only for --lang zh or auto"),
        (["--lang", "zh", "--mode", "fast", "hi"], b"", "unknown mode 'fast'"),
        (["--format", "xml", "hi"], b"", "unknown format 'xml'"),
        (["--lang", "zh", "--user-dict", "/nonexistent/user.dict", "hi"], b"", "no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(tmp_path, args, stdin, message):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\n\xff\xfe\n")
    result = _run("segment", *[str(bad) if a == "BADFILE" else a for a in args], input=stdin)
    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert stderr.count("\n") == 1 and stderr.startswith("blm: error: ") and message in stderr
    assert result.stdout == b""


def test_blm_entry_point():
    blm = shutil.which("blm")
    if blm is None:
        pytest.skip("the package is not installed (pip install -e .)")
    result = subprocess.run([blm, "segment", "--lang", "auto", "我爱NLP。"], capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (0, "我 爱 NLP 。\n")
