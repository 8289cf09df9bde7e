"""The cross-lingual eval suite: `blm eval --lang zh,en`.

* `task`, `loader`, `task_schema`: the tasks (YAML files under `tasks/`, checked field by field) as `Task` objects;
* `runner`: every item under every language condition, scored through the request `cache`;
* `distributed`: sharding and gathering under `torchrun` / `accelerate launch`;
* `metrics`, `bootstrap`, `aggregate`: the per-item metrics, paired bootstrap CIs, the summaries;
* `results`, `report`, `plots`: results.json (schema in eval/RESULTS.md), report.md, the table, PNGs;
* `selection`: the languages of a run and the tasks they can run;
* `run`: `run_eval(spec, config)`, one run as a library call, which the CLI (`bilingual_lm.cli.eval`) wraps;
  `schema`: its typed results.
"""
