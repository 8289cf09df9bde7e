"""The results directory under faults: two runs into one directory, a run killed while writing, a failed
--overwrite, a read-only directory after scoring, orphaned temporary files. Nothing is lost or mixed."""

from __future__ import annotations

import errno
import json
import os

import pytest
from eval_fixtures import TASK_NAMES, register, write_tasks
from hostile import assert_one_line_error, blm, run_in_process, snapshot, subprocess_env, tiny_tmpfs

from bilingual_lm.eval.outdir import MARKER, OutputDir


@pytest.fixture(scope="module")
def tasks_dir(tmp_path_factory):
    return write_tasks(tmp_path_factory.mktemp("tasks"))


def eval_args(tasks_dir, out, *extra, model="bigram:default"):
    return ["eval", "--model", model, "--tasks", TASK_NAMES, "--tasks-dir", tasks_dir, "--output-dir", out,
            "--bootstrap", "20", *extra]


@pytest.fixture()
def finished(tasks_dir, tmp_path, monkeypatch, capsys):
    """A results directory of one complete run (in this process, with the test scorer registered)."""
    register()
    monkeypatch.setenv("BLM_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out"
    assert run_in_process(monkeypatch, *eval_args(tasks_dir, out)) == 0
    capsys.readouterr()
    return out


def test_a_finished_run_carries_a_marker_that_matches_its_data(finished):
    marker = json.loads((finished / MARKER).read_text())
    assert {"results.json", "samples.jsonl", "report.md"} <= set(marker["files"])
    OutputDir(finished, create=False).check_complete()


def test_a_second_run_into_a_busy_directory_exits_2_and_the_first_finishes_whole(finished, tasks_dir, tmp_path):
    env = subprocess_env(tmp_path)
    before = snapshot(finished)
    with OutputDir(finished):  # a first run holding the directory (the lock, as `blm eval` takes it)
        second = blm(*eval_args(tasks_dir, finished, "--seed", "7", "--overwrite"), env=env)
        assert_one_line_error(second.returncode, second.stderr, says="another blm eval is writing")
        assert snapshot(finished) == before
    again = blm(*eval_args(tasks_dir, finished, "--seed", "7", "--overwrite"), env=env)  # free again
    assert again.returncode == 0, again.stderr
    OutputDir(finished, create=False).check_complete()
    assert json.loads((finished / "results.json").read_text())["run"]["seed"] == 7


def test_report_refuses_a_directory_without_its_marker(finished, monkeypatch, capsys):
    (finished / MARKER).unlink()  # what a kill between the data files and the marker leaves
    before = snapshot(finished)
    code = run_in_process(monkeypatch, "eval", "report", finished)
    assert_one_line_error(code, capsys.readouterr().err, says="incomplete results")
    assert snapshot(finished) == before


def test_report_refuses_data_files_of_two_runs(finished, tasks_dir, tmp_path, monkeypatch, capsys):
    other = tmp_path / "other"
    assert run_in_process(monkeypatch, *eval_args(tasks_dir, other, "--seed", "5")) == 0
    (finished / "samples.jsonl").write_bytes((other / "samples.jsonl").read_bytes())
    (finished / "samples.jsonl").write_text((finished / "samples.jsonl").read_text() + "\n")
    capsys.readouterr()
    code = run_in_process(monkeypatch, "eval", "report", finished)
    assert_one_line_error(code, capsys.readouterr().err, says="samples.jsonl is not the one this run wrote")


def test_a_failed_overwrite_leaves_the_old_run_whole(finished, tasks_dir, monkeypatch, capsys):
    before = snapshot(finished)

    def disk_full(*_args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("bilingual_lm.eval.plots.write_plots", disk_full)  # after results and report
    code = run_in_process(monkeypatch, *eval_args(tasks_dir, finished, "--seed", "9", "--overwrite"))
    line = assert_one_line_error(code, capsys.readouterr().err, says="no space left")
    assert "request cache" in line
    assert snapshot(finished) == before
    OutputDir(finished, create=False).check_complete()


def test_an_overwrite_removes_the_old_runs_files_it_does_not_write(finished, tasks_dir, monkeypatch):
    (finished / "stale_plot.png").write_bytes(b"from an older run")
    assert run_in_process(monkeypatch, *eval_args(tasks_dir, finished, "--seed", "9", "--overwrite")) == 0
    assert not (finished / "stale_plot.png").exists()
    assert json.loads((finished / "results.json").read_text())["run"]["seed"] == 9
    OutputDir(finished, create=False).check_complete()


def test_orphaned_temporary_files_are_cleaned_by_the_next_run(finished, tasks_dir, monkeypatch):
    (finished / ".results.json.k1ll3d.tmp").write_text("{half")
    (finished / ".staging").mkdir()
    assert run_in_process(monkeypatch, *eval_args(tasks_dir, finished)) == 0
    assert not (finished / ".results.json.k1ll3d.tmp").exists() and not (finished / ".staging").exists()


def test_a_read_only_output_dir_is_one_line_that_points_to_the_cache(tasks_dir, tmp_path, monkeypatch, capsys):
    register()
    monkeypatch.setenv("BLM_CACHE_DIR", str(tmp_path / "cache"))
    with tiny_tmpfs(tmp_path / "ro", read_only=True) as mounted:
        if not mounted:
            pytest.skip("needs root to mount a read-only tmpfs")
        code = run_in_process(monkeypatch, *eval_args(tasks_dir, tmp_path / "ro" / "out"))
        assert_one_line_error(code, capsys.readouterr().err, says="read-only")
