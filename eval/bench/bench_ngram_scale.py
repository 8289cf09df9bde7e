"""n-gram training at growing corpus sizes, ours beside KenLM's lmplz: wall time and peak memory.

    python eval/bench/bench_ngram_scale.py --lmplz PATH/TO/lmplz --words 1e6,1e7 [--order 5]
                                           [-o blm-results/bench_ngram_scale.json]

The corpora are sampled from an order-5 modified Kneser-Ney model of the benchmark corpus of
`bench_ngram.py` (trained here, with the same segmented text), so that new n-grams keep appearing as the
corpus grows (a corpus repeated or shuffled would stop adding n-grams). Sampling is exact for a back-off
model: from the longest context c, a stored word w is drawn with probability p(w | c) (their mass is
S(c)); otherwise a word is drawn from the shorter context and redrawn while it is stored after c (that is
what bo(c) · p(w | c') for unstored w means), level by level. `<unk>` is not drawn (its mass is spread
over the rest), so every word of the corpus is a real word. Sentences are drawn in parallel, seeded.

Each size is trained by whole processes, one at a time, niced as the caller is: ``lmplz -o 5 -S MEMORY``
and ``blm ngram train --lang space --memory MEMORY -o ours.arpa``; wall seconds and peak resident memory
(GNU time's %M for the child) go to the JSON, and a plot of both against the corpus size to `--plot`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ngram import BLM, build_corpus, describe_corpus, run_process  # noqa: E402

from bilingual_lm.atomic import atomic_write  # noqa: E402
from bilingual_lm.ngram import NgramModel, train_ngram  # noqa: E402
from bilingual_lm.ngram.spill import parse_memory  # noqa: E402
from bilingual_lm.provenance import provenance  # noqa: E402


class BackoffSampler:
    """Draws sentences from a back-off n-gram model, many at once (see the module docstring)."""

    def __init__(self, model: NgramModel, seed: int):
        self.model, self.size = model, len(model.vocabulary)
        self.rng = np.random.default_rng(seed)
        vocabulary = model.vocabulary
        unigram = 10.0 ** model.prob[0]
        unigram[[vocabulary.bos, vocabulary.unk]] = 0.0  # never drawn
        self.unigram_cumulative = np.cumsum(unigram / unigram.sum())
        # per order n >= 2: the running sum of p over the sorted n-grams (a context's stored words are a
        # range of its order's keys)
        self.cumulative = [np.cumsum(10.0 ** np.where(np.isin(k % self.size, [vocabulary.unk]), -np.inf, p))
                           for k, p in zip(model.keys[1:], model.prob[1:], strict=True)]

    def _range(self, n: int, context: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The range of the n-grams (order n >= 2) that continue each context (an (n-1)-gram index)."""
        keys = self.model.keys[n - 1]
        return (np.searchsorted(keys, context * self.size), np.searchsorted(keys, (context + 1) * self.size))

    def _is_stored(self, n: int, context: np.ndarray, word: np.ndarray) -> np.ndarray:
        keys = self.model.keys[n - 1]
        key = context * self.size + word
        at = np.searchsorted(keys, key).clip(max=len(keys) - 1)
        return keys[at] == key

    def _draw(self, contexts: list[np.ndarray]) -> np.ndarray:
        """One word after each history: `contexts[j]` is the index of the history's last j+1 words in the
        order-(j+1) table, -1 where the history is shorter or the n-gram is not stored."""
        count = len(contexts[0])
        depth = np.zeros(count, dtype=np.int64)  # the longest stored context: its length
        for j, index in enumerate(contexts, start=1):
            depth = np.where(index >= 0, j, depth)
        level = depth.copy()  # the context length drawn from now
        word = np.full(count, -1, dtype=np.int64)
        check = np.zeros(count, dtype=np.int64)  # after a draw at `level`, the contexts above still to pass
        pending = np.ones(count, dtype=bool)
        while pending.any():
            rows = np.flatnonzero(pending & (check == 0))  # rows that draw at their level
            top = rows[level[rows] == 0]
            word[top] = np.searchsorted(self.unigram_cumulative, self.rng.random(len(top)), side="right")
            check[top] = 1
            for j in range(1, len(contexts) + 1):
                at = rows[level[rows] == j]
                if not len(at):
                    continue
                low, high = self._range(j + 1, contexts[j - 1][at])
                cumulative = self.cumulative[j - 1]
                before = np.where(low > 0, cumulative[np.maximum(low - 1, 0)], 0.0)
                mass = cumulative[np.maximum(high - 1, 0)] - before
                mass[high == low] = 0.0
                u = self.rng.random(len(at))
                stored = u < mass
                hit = at[stored]
                drawn = np.searchsorted(cumulative, before[stored] + u[stored], side="right")
                word[hit] = self.model.keys[j][drawn.clip(low[stored], high[stored] - 1)] % self.size
                check[hit] = j + 1
                level[at[~stored]] -= 1  # back off
            # a word drawn at level L must not be stored after the longer contexts backed off from
            rows = np.flatnonzero(pending & (check > 0))
            done = rows[check[rows] > depth[rows]]
            pending[done] = False
            rows = rows[check[rows] <= depth[rows]]
            for j in range(1, len(contexts) + 1):
                at = rows[check[rows] == j]
                if not len(at):
                    continue
                rejected = self._is_stored(j + 1, contexts[j - 1][at], word[at])
                level[at[rejected]] = j - 1  # drawn again from the context just below j
                check[at[rejected]] = 0
                check[at[~rejected]] += 1
        return word

    def sentences(self, count: int, max_length: int = 200) -> list[list[int]]:
        """`count` sentences of word ids (without <s> and </s>)."""
        model, vocabulary = self.model, self.model.vocabulary
        order = model.order
        contexts = [np.full(count, vocabulary.bos, dtype=np.int64)] + [np.full(count, -1, dtype=np.int64)
                                                                       for _ in range(order - 2)]
        alive = np.ones(count, dtype=bool)
        words = []
        for _ in range(max_length):
            rows = np.flatnonzero(alive)
            if not len(rows):
                break
            drawn = np.full(count, vocabulary.eos, dtype=np.int64)
            drawn[rows] = self._draw([c[rows] for c in contexts])
            words.append(np.where(alive, drawn, -1))
            alive &= drawn != vocabulary.eos
            # the new contexts: the last j words after the draw, from the (j-1)-word contexts
            new = [np.where(alive, drawn, -1)]
            for j in range(2, order):
                previous = contexts[j - 2]
                index = np.full(count, -1, dtype=np.int64)
                ok = alive & (previous >= 0)
                keys = model.keys[j - 1]
                key = previous[ok] * self.size + drawn[ok]
                at = np.searchsorted(keys, key).clip(max=len(keys) - 1)
                index[np.flatnonzero(ok)[keys[at] == key]] = at[keys[at] == key]
                new.append(index)
            contexts = new
        table = np.stack(words, axis=1)
        return [[w for w in row if w >= 0 and w != vocabulary.eos] for row in table.tolist()]


def sample_corpus(model: NgramModel, words: int, path: Path, seed: int) -> dict:
    """Write sentences sampled from `model` to `path` until it holds at least `words` words (kept if there)."""
    if not path.exists():
        sampler = BackoffSampler(model, seed)
        names = model.vocabulary.words
        written = 0
        with atomic_write(path) as out:
            while written < words:  # batches of about a fortieth of what is left (sentences average ~45 words)
                for sentence in sampler.sentences(max(1_000, min(50_000, (words - written) // 40))):
                    if sentence:
                        out.write(" ".join(map(names.__getitem__, sentence)) + "\n")
                        written += len(sentence)
    return describe_corpus(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lmplz", required=True)
    parser.add_argument("--words", default="1e6,1e7", help="corpus sizes, comma-separated")
    parser.add_argument("--order", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None, help="where the models go (default: a temp dir)")
    parser.add_argument("--corpora", type=Path, default=None,
                        help="a folder that keeps the sampled corpora between runs (default: the temp dir)")
    parser.add_argument("--sample-only", action="store_true", help="write the corpora, train nothing")
    parser.add_argument("--memory", default="20%", help="the memory budget of both: lmplz -S, ours --memory")
    parser.add_argument("--plot", default="eval/bench/ngram_scale.png")
    parser.add_argument("-o", "--output", default="blm-results/bench_ngram_scale.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        workdir = Path(tmp)
        corpora = args.corpora or workdir
        corpora.mkdir(parents=True, exist_ok=True)
        base = workdir / "base.txt"
        build_corpus(base)
        model = train_ngram([line.split() for line in base.read_text(encoding="utf-8").splitlines() if line],
                            args.order, "kn")
        ours = [*BLM, "ngram", "train", "--lang", "space", "-n", str(args.order), "--no-progress",
                "--memory", args.memory, "--temp-dir", str(workdir)]
        results = []
        for words in (int(float(w)) for w in args.words.split(",")):
            corpus = corpora / f"sampled.{words}.seed{args.seed}.txt"
            about = sample_corpus(model, words, corpus, args.seed)
            print(f"{about['words']:,} words sampled in {corpus}", file=sys.stderr)
            if args.sample_only:
                continue
            row = {"corpus": about}
            row["lmplz"] = run_process([args.lmplz, "-o", str(args.order), "--discount_fallback", "-S", args.memory,
                                        "-T", str(workdir)], corpus, workdir / "lmplz.arpa")
            (workdir / "lmplz.arpa").unlink()
            row["ours_arpa"] = run_process([*ours, "-o", str(workdir / "ours.arpa"), str(corpus)])
            (workdir / "ours.arpa").unlink()
            print(json.dumps(row), file=sys.stderr)
            results.append(row)
    if args.sample_only:
        return

    record = {"order": args.order, "seed": args.seed, "memory": args.memory, "sizes": results,
              "load_average": os.getloadavg(), "provenance": provenance(command=" ".join(["python", *sys.argv]))}
    with atomic_write(args.output) as out:
        json.dump(record, out, ensure_ascii=False, indent=2)
    plot(results, args.plot, parse_memory(args.memory) / 1e9)
    print("| words | lmplz wall s | lmplz CPU s | lmplz peak GB | ours wall s | ours CPU s | ours peak GB "
          "| ours / lmplz wall |")
    print("|---|---|---|---|---|---|---|---|")
    for row in results:
        lmplz, ours_row = row["lmplz"], row["ours_arpa"]
        print(f"| {row['corpus']['words']:,} | {lmplz['wall_s']:.1f} | {lmplz['cpu_s']:.1f} | {lmplz['peak_gb']:.2f} | "
              f"{ours_row['wall_s']:.1f} | {ours_row['cpu_s']:.1f} | {ours_row['peak_gb']:.2f} | "
              f"{ours_row['wall_s'] / lmplz['wall_s']:.2f} |")
    print(f"wrote {args.output} and {args.plot}")


def plot(results: list[dict], path: str, budget_gb: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    words = [row["corpus"]["words"] for row in results]
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    for name, label in (("lmplz", "KenLM lmplz"), ("ours_arpa", "blm ngram train")):
        left.plot(words, [row[name]["wall_s"] for row in results], "o-", label=label)
        right.plot(words, [row[name]["peak_gb"] for row in results], "o-", label=label)
    right.axhline(budget_gb, linestyle="--", color="gray", label="the budget (-S, --memory)")
    for axis, title in ((left, "wall time (s)"), (right, "peak resident memory (GB)")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("corpus words (sampled from the order-5 model)")
        axis.set_title(title)
        axis.legend()
    figure.tight_layout()
    with atomic_write(path, "wb") as out:
        figure.savefig(out, format="png", dpi=120)


if __name__ == "__main__":
    main()
