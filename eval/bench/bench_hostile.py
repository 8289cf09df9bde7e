"""Time against input length for the paths that hostile inputs made quadratic (issue 13): each must be linear.

    python eval/bench/bench_hostile.py [--base 10000] [--repeats 3]

For each path the input grows n, 2n, 4n; the table shows the best-of-`--repeats` CPU seconds and the ratio
t(4n) / t(n): about 4 for a linear path, about 16 for a quadratic one. Before the fixes: word alignment 8k
words 2.6 s and 16k 11.3 s; the `auto`/`en` segmenter on 20,000 characters of ``a.a.a.…`` 21 s; jieba's
HMM on 200,000 characters of one script killed at 300 s; a 5 MB line on the n-gram path killed at 300 s.
CPU time of this process, so the shared machine's load matters less than for wall time.
"""

from __future__ import annotations

import argparse
import time

from bilingual_lm.score.base import TokenScore
from bilingual_lm.score.words import align_words
from bilingual_lm.segment import get_segmenter
from bilingual_lm.segment.base import Token


def alignment_input(n: int):
    """n two-character words, each scored as two tokens, with a whitespace token between words."""
    text = " ".join(["ab"] * n)
    words = [Token("ab", "en", 3 * i, 3 * i + 2) for i in range(n)]
    tokens = []
    for i in range(n):
        tokens += [TokenScore("a", 3 * i, 3 * i + 1, -1.0), TokenScore("b", 3 * i + 1, 3 * i + 2, -1.0)]
        if i < n - 1:
            tokens.append(TokenScore(" ", 3 * i + 2, 3 * i + 3, -0.5))
    return text, tokens, words


def cases(base: int):
    """(name, n, make) for each path: make(size) prepares an input of that size and returns the call to time."""
    from bilingual_lm.score.registry import load_scorer

    auto, zh = get_segmenter("auto"), get_segmenter("zh")
    ngram = load_scorer("ngram:default", lang="auto")
    mixed = "我们今天学习 language model 的 hello world 3.14。GitHub.com a@b.org "

    def alignment(n):
        text, tokens, words = alignment_input(n)
        return lambda: align_words(text, tokens, words)

    def segmenting(segmenter, unit):
        def make(n):
            text = (unit * (n // len(unit) + 1))[:n]
            return lambda: segmenter.segment(text)
        return make

    def scoring(n):
        text = (mixed * (n // len(mixed) + 1))[:n]
        return lambda: ngram.score([text])

    return [
        ("align_words (words)", base, alignment),
        ("auto segmenter on 'a.a.a…' (chars)", base, segmenting(auto, "a.")),
        ("auto segmenter on 'a%a%…' (chars)", base, segmenting(auto, "a%")),
        ("auto segmenter on 'x.com/....' (chars)", base, segmenting(auto, "x.com/" + "." * 20000)),
        ("jieba HMM on one script '的的…' (chars)", 2 * base, segmenting(zh, "的")),
        ("n-gram score of one mixed line (chars)", 2 * base, scoring),
    ]


def best_cpu(call, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        call()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=int, default=10_000, help="n, the smallest input")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("| path | n | t(n) s | t(2n) s | t(4n) s | t(4n)/t(n) |\n|---|---|---|---|---|---|")
    for name, n, make in cases(args.base):
        times = [best_cpu(make(n * k), args.repeats) for k in (1, 2, 4)]
        print(f"| {name} | {n} | {times[0]:.3f} | {times[1]:.3f} | {times[2]:.3f} | {times[2] / times[0]:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
