"""The results directory: results.json (schema in eval/RESULTS.md), samples.jsonl, report.md, plots.

Every file is written atomically. A directory that already holds results of a different run (another
model, task hashes, languages, limit or seed) is refused unless the caller overwrites it.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from bilingual_lm.atomic import atomic_write
from bilingual_lm.errors import InputError
from bilingual_lm.eval import metrics
from bilingual_lm.eval.task import Task

SCHEMA_VERSION = "2.1"  # 2.0: every scoring rule side by side; 2.1: per-item entropies (what the plots read)
RESULTS = "results.json"
SAMPLES = "samples.jsonl"
RUN_FIELDS = ("model_fingerprint", "tasks", "languages", "limit", "seed", "bootstrap")


def task_record(task: Task) -> dict:
    """What identifies a task in the results: kind, source, path, template hash and a hash of its items."""
    items = [
        {"id": item.id, "prompts": item.prompts, "gold": item.gold,
         "candidates": [[c.id, c.surface] for c in item.candidates]}
        for item in task.items
    ]
    items_hash = hashlib.sha256(json.dumps(items, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return {
        "kind": task.kind,
        "group": task.group,
        "description": task.description,
        "source": task.source,
        "path": task.path,
        "template_hash": task.template_hash,
        "items_hash": items_hash,
        "n_items": len(task.items),
        "conditions": [list(pair) for pair in task.conditions],
    }


def conventions() -> dict:
    from bilingual_lm.eval import rules, runner
    from bilingual_lm.eval.bootstrap import CONFIDENCE

    return {
        "candidate_distribution": "softmax of the candidates' scores under each scoring rule",
        "scoring_rules": list(rules.RULES),
        "scoring_rule_definitions": rules.RULE_DESCRIPTIONS,
        "primary_scoring_rule": rules.PRIMARY_RULE,
        "neutral_prompt": "each task's templates.neutral (its prompt without the subject), scored once per task "
        "and condition for every candidate concept of the task",
        "answer_join": "the task's templates.joiner per prompt->answer language pair; without one, "
        + runner.ANSWER_JOIN,
        "baselines": "uniform 1/k; most-frequent gold of the task; fewest-tokens pick (ties split); the model's "
        "top-1 under the neutral prompt (answer prior, sum rule)",
        "prior_collapse": "one candidate top-1 on >= 50% of the items while gold on <= half as many",
        "robust": "a difference is robust when every scoring rule gives the same sign with a 95% CI excluding 0",
        "proportion_intervals": "Wilson score (statsmodels proportion_confint)",
        "multiple_comparisons": "Holm (statsmodels multipletests) over every accuracy difference of the report; "
        "p-values by paired sign-flip permutation",
        "ece_interval": "bootstrap CI; 'calibrated_mean' is the ECE a perfectly calibrated model would show",
        "chance_levels": "RankC: its expectation under random rankings; JS: one side's candidates permuted",
        "ranking_ties": "stable: tied candidates keep their order in the task file",
        "entropy_unit": "bits",
        "js_unit": "bits (log base 2; range [0, 1])",
        "ece_bins": metrics.ECE_BINS,
        "ece_binning": "equal-width, right-closed, on the top-1 probability",
        "brier": "sum over candidates of (p_k - y_k)^2 (range [0, 2])",
        "rankc": "Qi, Fernandez & Bisazza 2023: sum_j w_j P@j, w_j = e^(N-j) / sum_k e^(N-k), averaged over items",
        "bootstrap": f"paired percentile bootstrap over items, {CONFIDENCE:.0%} interval, same resamples for all "
        "figures of a task",
        "differences": "first --lang minus second --lang (zh - en by default)",
        "open_samples": {"num_samples": runner.NUM_SAMPLES, "max_new_tokens": runner.MAX_NEW_TOKENS,
                         "units": "each Han character; runs of Latin letters/digits; other non-space characters"},
        "next_token_scripts": "han: Han characters and no Latin letters; latin: the reverse; other: the rest",
    }


def json_safe(value):
    """`value` with NaN and infinities replaced by None, so that results.json is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def run_identity(results: dict) -> dict:
    return {field: results.get("run", {}).get(field) for field in RUN_FIELDS}


def check_output_dir(path: Path, identity: dict, overwrite: bool) -> None:
    """Refuse a directory that holds the results of a different run (unless `overwrite`)."""
    if path.exists() and not path.is_dir():
        raise InputError(f"--output-dir {path}: exists and is not a directory")
    existing = path / RESULTS
    if overwrite or not existing.exists():
        return
    try:
        old = json.loads(existing.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(f"{existing}: not a readable results file; pass --overwrite to replace it") from None
    if run_identity(old) != identity:
        changed = [f for f in RUN_FIELDS if old.get("run", {}).get(f) != identity.get(f)]
        raise InputError(
            f"{path} holds results of a different run (differs in {', '.join(changed)}); "
            "choose another --output-dir or pass --overwrite"
        )


def write_results(path: Path, results: dict, records: list[dict]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    with atomic_write(path / SAMPLES) as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    with atomic_write(path / RESULTS) as handle:
        json.dump(json_safe(results), handle, ensure_ascii=False, indent=1, allow_nan=False)
        handle.write("\n")


def read_results(path: str | Path) -> tuple[dict, list[dict]]:
    """results.json and samples.jsonl of a results directory, or an InputError naming what is wrong."""
    path = Path(path)
    try:
        results = json.loads((path / RESULTS).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no {RESULTS} (is it a results directory of `blm eval`?)") from None
    except ValueError as error:
        raise InputError(f"{path / RESULTS}: not valid JSON ({error})") from None
    if str(results.get("schema_version", "")).split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise InputError(f"{path / RESULTS}: schema version {results.get('schema_version')!r}, "
                         f"this blm reads {SCHEMA_VERSION}")
    records = []
    samples = path / SAMPLES
    if samples.exists():
        with samples.open(encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle if line.strip()]
    return results, records
