"""Rerun issue 13's classes of hostile input and faults; count clean exits, tracebacks, hangs, silent wrong results.

    python eval/bench/hostile_classes.py [--timeout 120] [--only CLASS]

Each case runs `blm` in a subprocess (the n-gram models and small files only; no Gemma) and is classed:

* **clean**: the expected exit status (2 for bad input or a failed write, 0 where the input is fine), one
  `blm:` line on stderr and no traceback, and the case's own check of the disk (nothing lost or mixed);
* **traceback**: "Traceback" or "internal error" on stderr, or exit status 1;
* **hang**: still running after `--timeout` seconds;
* **silent wrong**: anything else (exit 0 where an error was due, a failed check of the disk or output).

Prints one row per case and the counts per class as a Markdown table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

BLM = [sys.executable, "-c", "import sys; from bilingual_lm.cli import main; sys.argv[0] = 'blm'; main()"]
PROGRESS = re.compile(r"━|\d+%|it/s|s/it|-:--:--")


class Case:
    def __init__(self, klass, name, args, expect=2, check=None, stdout=None, env=None, stdin=b""):
        self.klass, self.name, self.args, self.expect = klass, name, args, expect
        self.check, self.stdout, self.env, self.stdin = check, stdout, env or {}, stdin


def classify(case: Case, work: Path, timeout: float) -> str:
    env = {**os.environ, "BLM_CACHE_DIR": os.environ.get("BLM_CACHE_DIR", str(work / "cache")), **case.env}
    out = open(case.stdout, "wb") if case.stdout else subprocess.PIPE  # noqa: SIM115
    try:
        run = subprocess.run([*BLM, *case.args], env=env, cwd=work, stdout=out, stderr=subprocess.PIPE,
                             input=case.stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "hang"
    finally:
        if case.stdout:
            out.close()
    err = run.stderr.decode("utf-8", "replace")
    if "Traceback" in err or "internal error" in err or run.returncode == 1:
        return "traceback"
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("blm: note:")
             and not (PROGRESS.search(line) and not line.startswith("blm: error"))]
    errors = [line for line in lines if line.startswith("blm: ")]
    ok = run.returncode == case.expect and (len(errors) == 1 if case.expect == 2 else True)
    if ok and case.check is not None:
        ok = bool(case.check(run))
    return "clean" if ok else "silent wrong"


def build_cases(work: Path) -> list[Case]:
    w = work
    (w / "tiny.txt").write_text("我 爱 吃 苹果\nI love to eat apples\n" * 3, encoding="utf-8")
    subprocess.run([*BLM, "ngram", "train", "tiny.txt", "--lang", "space", "--no-progress", "-o", "m.arpa"],
                   cwd=w, check=True, capture_output=True)
    arpa = (w / "m.arpa").read_text(encoding="utf-8").split("\n")

    def arpa_variant(name, change):
        (w / name).write_text("\n".join(change(list(arpa))), encoding="utf-8")
        return f"ngram:{name}"

    def set_line(prefix, new):
        return lambda lines: [new if line.startswith(prefix) else line for line in lines]

    def backoff(value):
        def change(lines):
            i = next(i for i, line in enumerate(lines) if line.split("\t")[1:2] == ["I love"])
            p, gram, _ = lines[i].split("\t")
            lines[i] = f"{p}\t{gram}\t{value}"
            return lines
        return change

    cases = []
    T = "text inputs (segment, score)"
    for args in (["segment", "a [/] b"], ["score", "a [/] b"], ["segment", "--lang", "xx", "hi"],
                 ["score", "--lang", "en", "--file", "/dev/null"], ["segment", "--file", "missing.txt"],
                 ["segment", b"caf\xe9"], ["score", "--lang", "en", "   "], ["segment", "--format", "xml", "hi"],
                 ["score", "--context", "", "--lang", "en", "x" * 10], ["segment", "--lang", "en", "a." * 10000],
                 ["segment", "--lang", "en", "a%" * 10000],
                 ["score", "--lang", "en", "--max-chars", "5", "hello world"]):
        expect = 0 if args[:2] in (["segment", "a [/] b"], ["score", "a [/] b"]) or len(str(args[-1])) > 5000 \
            or args[:3] == ["score", "--context", ""] else 2
        cases.append(Case(T, " ".join(map(str, args))[:60], args, expect))
    for name, text in (("han.txt", "的" * 200_000), ("line.txt", "我们学习 language model 3.14。" * 200_000)):
        (w / name).write_text(text + "\n", encoding="utf-8")  # 200,000 characters of one script; a 5 MB line
    cases.append(Case(T, "jieba HMM, 200k chars of one script", ["segment", "--lang", "zh", "--file", "han.txt"], 0))
    cases.append(Case(T, "a 5 MB line on the n-gram path", ["score", "--format", "tsv", "--file", "line.txt"]))
    (w / "ud.txt").write_text("New York " * 500 + "\n", encoding="utf-8")
    cases.append(Case(T, "user dict phrase of 4,500 chars", ["segment", "--user-dict", "ud.txt", "hi"]))
    (w / "sep.txt").write_text("hello\u2028world\n", encoding="utf-8")
    cases.append(Case(T, "U+2028 inside a file line", ["segment", "--lang", "en", "--file", "sep.txt"], 0,
                      check=lambda run: len(run.stdout.decode().rstrip("\n").split("\n")) == 1))

    M = "ARPA / .blm files, ngram train"
    for name, change, expect in [
        ("backoff 300", backoff("300"), 2), ("backoff 1e308", backoff("1e308"), 2), ("backoff nan", backoff("nan"), 2),
        ("backoff 50 (p > 1)", backoff("50"), 2), ("header count", set_line("ngram 2=", "ngram 2=999"), 2),
        ("meta not JSON", set_line("# bilingual-lm:", "# bilingual-lm: {x"), 2),
        ("meta list", set_line("# bilingual-lm:", "# bilingual-lm: []"), 2),
        ("meta mistyped", set_line("# bilingual-lm:", '# bilingual-lm: {"is_probability": "yes"}'), 2),
        ("no \\data\\", lambda lines: lines[2:], 2), ("positive prob", set_line("-", "0.5\t<s>\t0"), 2),
    ]:
        spec = arpa_variant(name.replace(" ", "_") + ".arpa", change)
        cases.append(Case(M, name, ["score", "--model", spec, "--lang", "space", "I love tea"], expect,
                          check=lambda run: not run.stdout))  # no number printed from a bad model
    (w / "bomb.arpa.gz").write_bytes(gzip.compress(b"\\data\\\nngram 1=3\n\n\\1-grams:\n" + b"-1\tx\n" * 2_000_000))
    cases.append(Case(M, "gzip bomb", ["score", "--model", "ngram:bomb.arpa.gz", "hi"]))
    (w / "bad.blm").write_bytes(b"PK\x03\x04 not a zip")
    cases.append(Case(M, "not a .blm", ["score", "--model", "ngram:bad.blm", "hi"]))
    for args in (["-o", "/dev/full"], ["-o", "."], ["--order", "0", "-o", "x.arpa"],
                 ["--order", "100000", "-o", "x.arpa"], ["-s", "addk", "--k", "inf", "-o", "x.blm"],
                 ["-s", "stupid", "--alpha", "nan", "-o", "x.arpa"]):
        cases.append(Case(M, "ngram train " + " ".join(args), ["ngram", "train", "tiny.txt", "--no-progress", *args],
                          check=lambda run: Path("/dev/full").is_char_device()))

    S = "--model strings and model files"
    (w / "fake.gguf").write_bytes(b"not a gguf")
    (w / "v0.gguf").write_bytes(b"GGUF" + bytes(50))
    (w / "folder").mkdir(exist_ok=True)
    (w / "folder" / "config.json").write_text("{", encoding="utf-8")
    for spec in ("nope", "ngram:", "hf:/nonexistent", "gguf:/nonexistent", "gguf:fake.gguf", "gguf:v0.gguf",
                 "hf:folder", "hf:tiny.txt", "bigram:x", "ngram:tiny.txt"):
        cases.append(Case(S, spec, ["score", "--model", spec, "hi"]))
    cases.append(Case(S, "--device xpu9", ["score", "--device", "xpu9", "hi"]))

    E = "eval, task YAML, report, notes"
    ev = ["eval", "--model", "ngram:default", "--tasks", "cldr_city", "--limit", "3", "--bootstrap", "10"]
    for extra in (["--seed", "-1"], ["--bootstrap", "1000000000000"], ["--lang", "zh,fr"], ["--tasks", ""],
                  ["--tasks", "nope"], ["--output-dir", "/dev/full"], ["--output-dir", "tiny.txt"]):
        cases.append(Case(E, " ".join(extra), [*ev, *extra]))
    (w / "tasks").mkdir(exist_ok=True)
    (w / "tasks" / "t_bad.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    (w / "tasks" / "t_bomb.yaml").write_text('a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: [*c,*c]\n',
                                             encoding="utf-8")
    (w / "tasks" / "t_py.yaml").write_text("name: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    for name in ("t_bad", "t_bomb", "t_py"):
        cases.append(Case(E, f"task file {name}", [*ev[:3], "--tasks", name, "--tasks-dir", "tasks"]))
    cases.append(Case(E, "a good run", [*ev, "--output-dir", "run"], 0,
                      check=lambda run: (w / "run" / "COMPLETE").exists()))
    cases.append(Case(E, "report of a missing dir", ["eval", "report", "nothing"]))

    cases.append(Case(E, "report without COMPLETE", ["eval", "report", "run_unmarked"]))
    cases.append(Case(E, "report of mixed files", ["eval", "report", "run_mixed"]))
    cases.append(Case(E, "a different run without --overwrite", [*ev, "--seed", "3", "--output-dir", "run"],
                      check=lambda run: json.loads((w / "run" / "results.json").read_text())["run"]["seed"] == 0))

    D = "disk full, write errors, cache corruption"
    os.mkfifo(w / "fifo")
    cases.append(Case(D, "ngram train -o FIFO", ["ngram", "train", "tiny.txt", "--no-progress", "-o", "fifo"]))
    cases.append(Case(D, "stdout to /dev/full", ["segment", "--lang", "en", "hello"], stdout="/dev/full"))
    cases.append(Case(D, "unwritable BLM_CACHE_DIR", ["score", "hi"], env={"BLM_CACHE_DIR": str(w / "tiny.txt" / "c")}))
    cases.append(Case(D, "corrupt cache file", [*ev, "--output-dir", "run2"],
                      env={"BLM_CACHE_DIR": str(w / "badcache")}))
    cases.append(Case(D, "damaged cached answers", [*ev, "--output-dir", "run3"], 0,
                      env={"BLM_CACHE_DIR": str(w / "damaged")},
                      check=lambda run: b"failed their checksum" in run.stderr))
    (w / "small").mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", str(w / "small")]
    if os.geteuid() == 0 and subprocess.run(mount, capture_output=True).returncode == 0:  # a tiny full disk
        big = "".join(f"w{i} w{i + 1}\n" for i in range(5000))
        (w / "big.txt").write_text(big, encoding="utf-8")
        cases.append(Case(D, "disk full (32k tmpfs)", ["ngram", "train", "big.txt", "--lang", "space", "--no-progress",
                                                      "-o", "small/m.arpa"],
                          check=lambda run: not any((w / "small").iterdir())))
        cases.append(Case(D, "eval into a full disk", [*ev, "--output-dir", "small/run"],
                          check=lambda run: not (w / "small" / "run" / "COMPLETE").exists()))
    return cases


def prepare_eval_fixtures(work: Path, timeout: float) -> None:
    """Directories and caches that some eval cases read: unmarked and mixed runs, a damaged cache."""
    ev = ["eval", "--model", "ngram:default", "--tasks", "cldr_city", "--limit", "3", "--bootstrap", "10"]
    env = {**os.environ, "BLM_CACHE_DIR": os.environ.get("BLM_CACHE_DIR", str(work / "cache"))}
    for name, seed in (("run_unmarked", "0"), ("run_mixed", "0"), ("run_other", "1")):
        subprocess.run([*BLM, *ev, "--seed", seed, "--output-dir", name], cwd=work, env=env, capture_output=True,
                       timeout=timeout)
    (work / "run_unmarked" / "COMPLETE").unlink(missing_ok=True)
    shutil.copy(work / "run_other" / "results.json", work / "run_mixed" / "results.json")  # another seed's
    (work / "badcache" / "eval").mkdir(parents=True)
    (work / "badcache" / "eval" / "requests.sqlite").write_bytes(b"SQLite format 3\x00" + b"\xde\xad" * 3000)
    subprocess.run([*BLM, *ev, "--output-dir", "run_for_cache"], cwd=work, capture_output=True, timeout=timeout,
                   env={**env, "BLM_CACHE_DIR": str(work / "damaged")})
    with sqlite3.connect(work / "damaged" / "eval" / "requests.sqlite") as db:
        rows = db.execute("SELECT key, answer FROM answers").fetchall()
        db.executemany("UPDATE answers SET answer = ? WHERE key = ?",
                       [(a.replace("1", "7", 1), k) for k, a in rows if "1" in a])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--only", default=None, help="run only the classes whose name holds this text")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="blm-hostile-"))
    try:
        if args.only is None or args.only.startswith(("eval", "disk")):
            prepare_eval_fixtures(work, args.timeout)
        counts: dict[str, Counter] = {}
        for case in build_cases(work):
            if args.only and args.only not in case.klass:
                continue
            outcome = classify(case, work, args.timeout)
            counts.setdefault(case.klass, Counter())[outcome] += 1
            print(f"{outcome:13} {case.klass[:30]:30} {case.name}", flush=True)
        print("\n| | cases | clean | traceback | hang | silent wrong |\n|---|---|---|---|---|---|")
        total = Counter()
        for klass, c in counts.items():
            total += c
            print(f"| {klass} | {sum(c.values())} | {c['clean']} | {c['traceback']} | {c['hang']} | "
                  f"{c['silent wrong']} |")
        print(f"| **total** | **{sum(total.values())}** | **{total['clean']}** | **{total['traceback']}** | "
              f"**{total['hang']}** | **{total['silent wrong']}** |")
    finally:
        subprocess.run(["umount", "-l", str(work / "small")], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
