"""The request cache under damage: a changed answer is caught by its checksum and scored again (never
used), a file SQLite cannot read is one line suggesting --no-cache, and a kill loses little."""

from __future__ import annotations

import json
import sqlite3

import pytest
from eval_fixtures import TASK_NAMES, CharBigramScorer, register, write_tasks
from hostile import assert_one_line_error, run_in_process

from bilingual_lm.eval.cache import RequestCache
from bilingual_lm.eval.loader import load_tasks
from bilingual_lm.eval.run import EvalConfig, EvalSpec, run_eval
from bilingual_lm.eval.runner import call_size


@pytest.fixture(scope="module")
def tasks_dir(tmp_path_factory):
    return write_tasks(tmp_path_factory.mktemp("tasks"))


@pytest.fixture(scope="module")
def tasks(tasks_dir):
    return load_tasks(TASK_NAMES.split(","), tasks_dir=tasks_dir)


@pytest.fixture(scope="module")
def reference(tasks):
    """The metrics of a run without the cache."""
    return run_eval(EvalSpec(model=CharBigramScorer(), tasks=tasks, bootstrap=50), EvalConfig(cache=False)).metrics


def damage_numbers(path) -> int:
    """Change a digit in every cached answer that has one, as a bad disk or an editor would; how many."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT key, answer FROM answers").fetchall()
        damaged = [(answer.replace("1", "7", 1), key) for key, answer in rows if "1" in answer]
        db.executemany("UPDATE answers SET answer = ? WHERE key = ?", damaged)
    return len(damaged)


def test_damaged_answers_are_named_and_scored_again(tasks, reference, tmp_path):
    cache = tmp_path / "requests.sqlite"
    spec, config = EvalSpec(model=CharBigramScorer(), tasks=tasks, bootstrap=50), EvalConfig(cache=cache)
    run_eval(spec, config)
    damaged = damage_numbers(cache)
    assert damaged > 10
    again = run_eval(spec, config)
    assert again.metrics == reference  # the damaged numbers were not used
    assert again.timings.cache_misses_rank0 >= damaged
    assert any(f"{damaged} answer(s) failed their checksum" in note for note in again.notes)
    third = run_eval(spec, config)
    assert third.timings.cache_misses_rank0 == 0  # the answers scored again were stored whole


def test_a_cache_file_sqlite_cannot_read_is_one_line_suggesting_no_cache(tasks_dir, tmp_path, monkeypatch, capsys):
    register()
    monkeypatch.setenv("BLM_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache" / "eval").mkdir(parents=True)
    (tmp_path / "cache" / "eval" / "requests.sqlite").write_bytes(b"SQLite format 3\x00" + b"\xde\xad" * 4000)
    args = ["eval", "--model", "bigram:default", "--tasks", TASK_NAMES, "--tasks-dir", tasks_dir, "--bootstrap", "10",
            "--output-dir", tmp_path / "out"]
    assert_one_line_error(run_in_process(monkeypatch, *args), capsys.readouterr().err, says="--no-cache")
    assert run_in_process(monkeypatch, *args, "--no-cache") == 0


def test_a_cache_from_before_checksums_reads_as_misses(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE answers (key TEXT PRIMARY KEY, answer TEXT NOT NULL)")
    cache = RequestCache(path, "model")
    key = cache.key({"kind": "text", "text": "x"})
    cache._db.execute("INSERT INTO answers (key, answer) VALUES (?, ?)", (key, json.dumps({"bits": 1.0})))
    assert cache.get({"kind": "text", "text": "x"}) is None and cache.corrupt == 0
    cache.put({"kind": "text", "text": "x"}, {"bits": 2.0})
    assert cache.get({"kind": "text", "text": "x"}) == {"bits": 2.0}


class Interrupted(Exception):
    pass


class DiesOnSecondCall(CharBigramScorer):
    """The test scorer, killed (an exception) in its second model call."""

    calls = 0

    def score(self, *args, **kwargs):
        self.calls += 1
        if self.calls == 2:
            raise Interrupted
        return super().score(*args, **kwargs)


def test_a_run_killed_in_its_second_call_has_saved_the_first(tasks, tmp_path):
    cache = tmp_path / "requests.sqlite"
    with pytest.raises(Interrupted):
        run_eval(EvalSpec(model=DiesOnSecondCall(), tasks=tasks, bootstrap=0), EvalConfig(cache=cache))
    assert len(RequestCache(cache, "unused")) == 1  # the first call: one request, saved at once


def test_calls_start_at_one_request_and_double_up_to_the_chunk():
    sizes, saved = [], 0
    for _ in range(8):
        sizes.append(call_size(16, saved))
        saved += sizes[-1]
    assert sizes == [1, 1, 2, 4, 8, 16, 16, 16]
