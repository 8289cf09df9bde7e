"""Wall time and items/s of the default eval (`blm eval --lang zh,en`), with a cold request cache.

    python eval/bench/bench_eval.py                       # the default model and suite
    python eval/bench/bench_eval.py --model ngram:default --limit 10

Prints one JSON line: the model, the device, the load time, the scoring time, the total wall time of the
run (load + score + metrics + writing the results and plots), the CPU time of the eval, the units and
items, the rates, the machine's load average (timings on a busy machine are not comparable) and its fp32 matrix
product rate (timings on two machines compare only beside it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time


def cpu_seconds() -> float:
    """CPU time of this process (all threads), user + system: less sensitive to a busy machine than wall time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="a --model string [default: the default Transformer]")
    parser.add_argument("--tasks", default=None, help="comma-separated tasks [default: the default suite]")
    parser.add_argument("--lang", default="zh,en")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()

    started = time.perf_counter()
    from bilingual_lm.eval.loader import load_tasks
    from bilingual_lm.eval.run import EvalConfig, EvalSpec, run_eval
    from bilingual_lm.eval.selection import parse_langs, runnable_tasks
    from bilingual_lm.score.registry import DEFAULT_TRANSFORMER, load_scorer

    model = args.model or DEFAULT_TRANSFORMER
    langs = parse_langs(args.lang)
    tasks, _ = runnable_tasks(load_tasks(args.tasks), langs, explicit=args.tasks is not None)
    loading = time.perf_counter()
    options = {"lang": "auto", **({"device": args.device} if args.device else {})}
    scorer = load_scorer(model, **options)  # loaded here, so that the eval's time and CPU leave the load out
    load_seconds = time.perf_counter() - loading
    cpu_start, eval_start = cpu_seconds(), time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        results = run_eval(EvalSpec(model=scorer, langs=tuple(langs), tasks=tasks, limit=args.limit,
                                    bootstrap=args.bootstrap), EvalConfig(output_dir=out, cache=False))
    eval_seconds = time.perf_counter() - eval_start
    wall_seconds, eval_cpu = time.perf_counter() - started, cpu_seconds() - cpu_start
    from bench_transformer import matmul_roof  # its torch is the eval's, imported by now

    roof = matmul_roof()  # after the clock stops
    timings = results.timings
    print(json.dumps({
        "model": model,
        "device": results.device,
        "dtype": results.dtype,
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "tasks": list(results.tasks),
        "units": timings.units,
        "items": timings.items,
        "load_s": round(load_seconds, 2),
        "score_s": round(timings.score_s, 2),
        "eval_s": round(eval_seconds, 2),
        "eval_cpu_s": round(eval_cpu, 2),
        "wall_s": round(wall_seconds, 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "matmul_gflops": round(roof),
        "items_per_s": round(timings.items_per_s, 2),
        "units_per_s": round(timings.units_per_s, 2),
    }))


if __name__ == "__main__":
    main()
