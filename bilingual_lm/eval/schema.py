"""The results of an eval run, typed: one dataclass per block of results.json (documented in eval/RESULTS.md).

`EvalResults.from_dict(json.load(...))` reads a results.json; `to_dict()` gives back the same JSON object, key
for key and in the same order, so that writing typed results changes no byte of the file. The metrics of each
task stay nested dicts in the shapes RESULTS.md documents per task kind (choice, parallel, open, lens).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass
class RunIdentity:
    """What identifies a run; compared before writing into a directory that holds another run's results."""

    model_fingerprint: str  # sha256 of the scorer's describe(): kind, identity, dtype, is_probability, device type
    tasks: dict[str, list[str]]  # task -> [template_hash, items_hash]
    languages: list[str]
    limit: int | None
    seed: int
    bootstrap: int


@dataclass
class ModelRecord:
    spec: str | None  # the --model string
    name: str
    fingerprint: str
    is_probability: bool
    describe: dict  # the scorer's `Description`: name, kind, identity, device, dtype, is_probability, details


@dataclass
class Settings:
    languages: list[str]
    limit: int | None
    batch_size: int | None
    seed: int
    bootstrap: int
    processes: int


@dataclass
class Timings:
    load_s: float | None
    score_s: float
    metrics_s: float
    total_s: float
    units: int
    items: int
    units_per_s: float | None
    items_per_s: float | None
    cache_hits_rank0: int
    cache_misses_rank0: int


@dataclass
class EvalResults:
    schema_version: str
    run: RunIdentity
    model: ModelRecord
    device: str | None
    dtype: str | None
    settings: Settings
    tasks: dict[str, dict]  # task -> kind, group, description, source, path, template_hash, items_hash, ...
    conventions: dict
    notes: list[str]
    metrics: dict[str, dict]  # task -> the figures of its kind (RESULTS.md)
    timings: Timings
    provenance: dict
    extra: dict = field(default_factory=dict)  # blocks a newer writer added, kept as they are

    @classmethod
    def from_dict(cls, data: dict) -> EvalResults:
        typed = {"run": RunIdentity, "model": ModelRecord, "settings": Settings, "timings": Timings}
        names = [f.name for f in fields(cls) if f.name != "extra"]
        values = {name: typed[name](**data[name]) if name in typed else data[name] for name in names}
        return cls(**values, extra={key: value for key, value in data.items() if key not in names})

    def to_dict(self) -> dict:
        data = asdict(self)
        return {**{key: value for key, value in data.items() if key != "extra"}, **self.extra}
