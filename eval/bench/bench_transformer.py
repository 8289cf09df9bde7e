"""Transformer scoring speed: our scorer against a naive loop, lm-eval-harness and minicons, one model, one run.

    python eval/bench/bench_transformer.py [--sentences 100] [--batch-size 32] [--repeats 3] \
        [-o blm-results/bench_transformer.json]

Every method scores the same HSK sentences (half zh, half en, from the held-out split) with the same
weights (the default Gemma 3 270M, fp32 on the CPU; `--model` for another), each sentence conditioned on
BOS:

* **ours**: `TransformerScorer.score` (length-sorted padded batches, logits only where scored);
* **naive**: one forward pass per sentence, full logits, log-softmax, gather;
* **lm-eval**: lm-evaluation-harness's `HFLM.loglikelihood_rolling` (BOS as its prefix token);
* **minicons**: `IncrementalLMScorer.sequence_score` with a sum reduction.

Each method is built and warmed up once, then timed in `--repeats` interleaved rounds (best kept; the
naive loop, much the slowest, runs one round). A peer that is not installed (they live in the `bench`
extra; a venv with `--system-site-packages` keeps them from touching torch and transformers) is reported
as skipped with the reason. tokens/s counts the tokens that our scorer scores (BOS excluded), divided by
each method's wall time; per CPU-second too, since the machine may be shared. Each method's totals are
compared with ours (max |Δ log p|).

The CPU matmul roof is the best fp32 GFLOP/s of a 2048³ matmul; the roof fraction is
tokens/s × 2 × parameters / roof (the FLOPs of a forward pass, embedding lookup counted as the tied head).
Prints a table and writes JSON with provenance.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from bilingual_lm.atomic import atomic_write
from bilingual_lm.corpora.hsk import train_test_split
from bilingual_lm.provenance import provenance
from bilingual_lm.score.registry import load_scorer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
stderr = Console(stderr=True)


def bench_sentences(count: int) -> list[str]:
    """`count` held-out HSK sentences: the first count/2 in Chinese, then as many in English."""
    _, test = train_test_split()
    half = count // 2
    return [s.zh for s in test[:half]] + [s.en for s in test[: count - half]]


def matmul_roof(size: int = 2048, repeats: int = 5) -> float:
    """Best fp32 GFLOP/s of a size³ matmul on this CPU."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def ours(scorer, batch_size: int) -> Callable[[list[str]], list[float]]:
    return lambda texts: [s.logprob for s in scorer.score(texts, batch_size=batch_size)]


def naive(scorer, batch_size: int) -> Callable[[list[str]], list[float]]:
    @torch.inference_mode()
    def run(texts: list[str]) -> list[float]:
        totals = []
        for text in texts:
            ids = [scorer.tokenizer.bos_token_id, *scorer.tokenizer(text, add_special_tokens=False)["input_ids"]]
            logits = scorer.model(input_ids=torch.tensor([ids])).logits[0, :-1].float()
            logprobs = torch.log_softmax(logits, dim=-1).gather(1, torch.tensor(ids[1:])[:, None])
            totals.append(logprobs.sum().item())
        return totals

    return run


def lm_eval_rolling(scorer, batch_size: int) -> Callable[[list[str]], list[float]]:
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(
        pretrained=scorer.model,
        tokenizer=scorer.tokenizer,
        batch_size=batch_size,
        device=str(scorer.device),
        add_bos_token=False,  # BOS is the rolling windows' prefix token already
        prefix_token_id=scorer.tokenizer.bos_token_id,
    )

    def run(texts: list[str]) -> list[float]:
        requests = [
            Instance(request_type="loglikelihood_rolling", doc={}, arguments=(text,), idx=i)
            for i, text in enumerate(texts)
        ]
        return [float(value) for value in lm.loglikelihood_rolling(requests, disable_tqdm=True)]

    return run


def minicons_sum(scorer, batch_size: int) -> Callable[[list[str]], list[float]]:
    from minicons.scorer import IncrementalLMScorer

    lm = IncrementalLMScorer(scorer.model, device=str(scorer.device), tokenizer=scorer.tokenizer)

    def run(texts: list[str]) -> list[float]:
        totals: list[float] = []
        for begin in range(0, len(texts), batch_size):
            # The Gemma tokenizer adds BOS itself (add_bos_token), so minicons' own bos_token stays off.
            batch = texts[begin : begin + batch_size]
            totals.extend(lm.sequence_score(batch, reduction=lambda scores: scores.sum(0).item(), bos_token=False))
        return totals

    return run


METHODS = {"ours": ours, "naive": naive, "lm-eval": lm_eval_rolling, "minicons": minicons_sum}


def time_methods(runners: dict, texts: list[str], repeats: int) -> dict[str, dict]:
    """Best wall and CPU time of each runner over `repeats` interleaved rounds (one round for 'naive')."""
    results: dict[str, dict] = {name: {"wall_s": math.inf, "cpu_s": math.inf} for name in runners}
    for round_ in range(repeats):
        for name, run in runners.items():
            if name == "naive" and round_ > 0:
                continue
            stderr.log(f"round {round_ + 1}/{repeats}: {name}")
            wall, cpu = time.perf_counter(), time.process_time()
            totals = run(texts)
            result = results[name]
            result["wall_s"] = min(result["wall_s"], time.perf_counter() - wall)
            result["cpu_s"] = min(result["cpu_s"], time.process_time() - cpu)
            result["totals"] = totals
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gemma3-270m")
    parser.add_argument("--sentences", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds; the best is kept")
    parser.add_argument("--skip", default="", help="comma-separated methods to leave out (naive,lm-eval,minicons)")
    parser.add_argument("-o", "--output", default="blm-results/bench_transformer.json")
    args = parser.parse_args()

    texts = bench_sentences(args.sentences)
    start = time.perf_counter()
    scorer = load_scorer(args.model, lang="auto", device="cpu")
    load_s = time.perf_counter() - start
    tokens = sum(len(scorer.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts)

    skip = {name.strip() for name in args.skip.split(",") if name.strip()}
    runners, skipped = {}, {}
    for name, make in METHODS.items():
        if name in skip:
            skipped[name] = {"skipped": "--skip"}
            continue
        try:
            runners[name] = make(scorer, args.batch_size)
            runners[name](texts[:4])  # warm-up
        except ImportError as error:
            skipped[name] = {"skipped": f"not installed: {error}"}
            runners.pop(name, None)
        except Exception as error:  # a peer that cannot run with this transformers: say exactly why
            skipped[name] = {"skipped": f"{type(error).__name__}: {error}"}
            runners.pop(name, None)
    stderr.log(f"timing {', '.join(runners)} on {len(texts)} sentences ({tokens} tokens)")
    results = {**time_methods(runners, texts, args.repeats), **skipped}

    roof = matmul_roof()
    params = sum(p.numel() for p in scorer.model.parameters())
    reference = results["ours"]["totals"]
    for result in results.values():
        if "wall_s" not in result:
            continue
        result["tokens_per_s"] = tokens / result["wall_s"]
        result["tokens_per_cpu_s"] = tokens / result["cpu_s"]
        result["roof_fraction"] = result["tokens_per_s"] * 2 * params / (roof * 1e9)
        result["max_abs_diff_vs_ours"] = max(abs(a - b) for a, b in zip(result["totals"], reference, strict=True))
    peers = [r["tokens_per_s"] for name, r in results.items() if name in ("lm-eval", "minicons") and "wall_s" in r]
    record = {
        "model": scorer.describe().to_dict(),
        "sentences": len(texts),
        "tokens": tokens,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "load_s": load_s,
        "threads": torch.get_num_threads(),
        "load_average": os.getloadavg(),
        "matmul_gflops": roof,
        "parameters": params,
        "methods": {name: {k: v for k, v in r.items() if k != "totals"} for name, r in results.items()},
        "speedup_vs_best_peer": results["ours"]["tokens_per_s"] / max(peers) if peers else None,
        "speedup_vs_naive": (
            results["ours"]["tokens_per_s"] / results["naive"]["tokens_per_s"] if "wall_s" in results["naive"] else None
        ),
        "provenance": provenance(command="python eval/bench/bench_transformer.py " + " ".join(sys.argv[1:])),
    }
    table = Table(title=f"{scorer.name}: {len(texts)} HSK sentences, {tokens} tokens, roof {roof:.0f} GFLOP/s")
    for column in ("method", "wall s", "tokens/s", "tokens/CPU-s", "roof fraction", "max |Δ| vs ours"):
        table.add_column(column)
    for name, r in results.items():
        if "wall_s" not in r:
            table.add_row(name, "skipped: " + r["skipped"][:80], "", "", "", "")
            continue
        table.add_row(
            name,
            f"{r['wall_s']:.1f}",
            f"{r['tokens_per_s']:.1f}",
            f"{r['tokens_per_cpu_s']:.1f}",
            f"{r['roof_fraction']:.1%}",
            f"{r['max_abs_diff_vs_ours']:.2g}",
        )
    Console().print(table)
    Console().print(
        f"ours / best peer: {record['speedup_vs_best_peer'] or float('nan'):.2f}×; "
        f"ours / naive: {record['speedup_vs_naive'] or float('nan'):.2f}×"
    )
    output = Path(args.output)
    with atomic_write(output) as handle:
        json.dump(record, handle, indent=2, ensure_ascii=False)
    stderr.log(f"wrote {output}")


if __name__ == "__main__":
    main()
