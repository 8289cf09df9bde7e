"""`blm eval` as a user runs it, in subprocesses: bad input, kill and resume, 2 processes, re-rendering."""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from eval_fixtures import CURRENCY, TASK_NAMES, write_tasks

TESTS = Path(__file__).resolve().parent
# `blm` with the test scorer registered as --model bigram:default / bigram:slow
BLM = (
    f"import sys; sys.path.insert(0, {str(TESTS)!r}); import eval_fixtures; eval_fixtures.register(); "
    "from bilingual_lm.cli import main; sys.argv[0] = 'blm'; main()"
)


def make_env(tmp_path: Path) -> dict:
    return {**os.environ, "BLM_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(TESTS), "COLUMNS": "200"}


@pytest.fixture()
def env(tmp_path):
    return make_env(tmp_path)


@pytest.fixture(scope="module")
def tasks_dir(tmp_path_factory):
    return write_tasks(tmp_path_factory.mktemp("tasks"))


@pytest.fixture(scope="module")
def reference(tasks_dir, tmp_path_factory):
    """One complete single-process run without the cache: (its results directory, its stdout)."""
    tmp_path = tmp_path_factory.mktemp("reference")
    result = blm(*eval_args(tasks_dir, tmp_path / "out", "--no-cache"), env=make_env(tmp_path))
    assert result.returncode == 0, result.stderr
    return tmp_path / "out", result.stdout


def blm(*args, env, cwd=None, **kwargs):
    return subprocess.run([sys.executable, "-c", BLM, *map(str, args)], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300, **kwargs)


def eval_args(tasks_dir, out, *extra):
    return ["eval", "--model", "bigram:default", "--tasks", TASK_NAMES, "--tasks-dir", tasks_dir,
            "--output-dir", out, "--bootstrap", "100", *extra]


def table_row(output: str, *cells: str) -> bool:
    """Whether a row of a printed table holds these cells."""
    return any([cell.strip() for cell in line.split("│")][1 : len(cells) + 1] == list(cells)
               for line in output.splitlines())


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("blm: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_a_run_prints_the_summary_and_writes_the_results(reference):
    out, stdout = reference
    assert table_row(stdout, "t_currency", "zh→zh") and "native (zh→zh vs en→en)" in stdout
    assert {p.name for p in out.iterdir()} == {
        "results.json", "samples.jsonl", "report.md", "COMPLETE", "accuracy_by_condition.png", "js_divergence.png",
        "entropy_by_language.png"}


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--tasks", "no_such_task"], ["unknown task 'no_such_task'"]),
        (["--lang", "zh,fr"], ["unknown language 'fr'"]),
        (["--lang", "zh", "--tasks", "t_translation"], ["t_translation", "needs --lang zh,en"]),
    ],
)
def test_bad_options_exit_2_with_one_line(args, fragments, tasks_dir, env):
    assert_one_line_error(blm("eval", "--model", "bigram:default", "--tasks-dir", tasks_dir, *args, env=env),
                          *fragments)


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (lambda task: task["items"][0].update(candidates=[]), ["items[0].candidates", "empty"]),
        (lambda task: task["items"][1].update(gold="EUR"), ["items[1].gold", "'EUR' is not among the candidates"]),
        (lambda task: task.pop("templates"), ["templates", "missing"]),
    ],
)
def test_malformed_task_files_exit_2_with_one_line(change, fragments, tmp_path, env):
    task = json.loads(json.dumps(CURRENCY))
    change(task)
    write_tasks(tmp_path / "bad", [task])
    result = blm("eval", "--model", "bigram:default", "--tasks", "t_currency", "--tasks-dir", tmp_path / "bad",
                 env=env)
    assert_one_line_error(result, "t_currency.yaml", *fragments)


def test_unparsable_yaml_exits_2(tmp_path, env):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "t_broken.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    result = blm("eval", "--model", "bigram:default", "--tasks", "t_broken", "--tasks-dir", tmp_path / "bad", env=env)
    assert_one_line_error(result, "t_broken.yaml", "not valid YAML")


def test_an_output_dir_with_different_results_exits_2(reference, tasks_dir, env):
    out, _ = reference
    assert_one_line_error(blm(*eval_args(tasks_dir, out, "--seed", "3"), env=env), "different run", "--overwrite")


def test_list_tasks_lists_user_tasks(tasks_dir, env):
    result = blm("eval", "--list-tasks", "--tasks-dir", tasks_dir, env=env)
    assert result.returncode == 0, result.stderr
    for name in TASK_NAMES.split(","):
        assert name in result.stdout


def test_report_rerenders_without_rescoring(reference, tmp_path, env):
    out = tmp_path / "out"
    shutil.copytree(reference[0], out)
    original = (out / "report.md").read_text()
    (out / "report.md").unlink()
    (out / "js_divergence.png").unlink()
    result = blm("eval", "report", out, env=env)
    assert result.returncode == 0, result.stderr
    assert (out / "report.md").read_text() == original
    assert (out / "js_divergence.png").exists()
    assert table_row(result.stdout, "t_currency", "zh→zh")
    assert_one_line_error(blm("eval", "report", tmp_path / "nothing", env=env), "no results.json")


def cached_answers(cache_dir: Path) -> int:
    path = cache_dir / "eval" / "requests.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    except sqlite3.DatabaseError:  # the file or its table is not created yet
        return 0


@pytest.mark.slow
def test_a_killed_run_resumes_with_the_same_results(reference, tasks_dir, tmp_path, env):
    slow = [*eval_args(tasks_dir, tmp_path / "out")]
    slow[slow.index("bigram:default")] = "bigram:slow"
    env = {**env, "BLM_TEST_DELAY": "0.1"}
    process = subprocess.Popen([sys.executable, "-c", BLM, *map(str, slow)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while cached_answers(tmp_path / "cache") < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = cached_answers(tmp_path / "cache")
    # 38 requests in all: 18 choice (item × prompt language), 8 parallel texts, 6 × 2 for the open prompts
    assert 8 <= done_before < 38  # killed mid-run
    assert not (tmp_path / "out" / "results.json").exists()

    resumed = blm(*slow, env=env)
    assert resumed.returncode == 0, resumed.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["timings"]["cache_hits_rank0"] >= done_before
    expected = json.loads((reference[0] / "results.json").read_text())
    assert results["metrics"] == expected["metrics"]
    samples = (tmp_path / "out" / "samples.jsonl").read_text().splitlines()
    reference_samples = (reference[0] / "samples.jsonl").read_text().splitlines()
    assert samples == reference_samples  # nothing lost, nothing duplicated


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_two_processes_give_the_results_of_one(reference, tasks_dir, tmp_path, env):
    # what `accelerate launch --num_processes 2 --cpu` or torchrun set up: two ranks joined over gloo
    distributed = {**env, "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()),
                   "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-c", BLM, *map(str, eval_args(tasks_dir, tmp_path / "two", "--no-cache"))]
    ranks = [subprocess.Popen(args, env={**distributed, "RANK": str(rank), "LOCAL_RANK": str(rank)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for rank in (0, 1)]
    outputs = [rank.communicate(timeout=300) for rank in ranks]
    assert [rank.returncode for rank in ranks] == [0, 0], outputs
    results = [json.loads((out / "results.json").read_text()) for out in (reference[0], tmp_path / "two")]
    assert results[1]["settings"]["processes"] == 2
    assert results[0]["metrics"] == results[1]["metrics"]
    assert (reference[0] / "samples.jsonl").read_text() == (tmp_path / "two" / "samples.jsonl").read_text()
