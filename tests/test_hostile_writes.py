"""Write faults: a special file as the target, the umask, a full disk, a read-only directory, a size limit,
stdout that cannot be written. Each gives exit 2 and one line, and leaves the old file whole."""

from __future__ import annotations

import errno
import os
import resource
import stat
import time
from pathlib import Path

import pytest
from hostile import assert_one_line_error, blm, run_in_process, snapshot, subprocess_env, tiny_tmpfs

from bilingual_lm.atomic import atomic_write, remove_orphans
from bilingual_lm.errors import WriteError

CORPUS = "我 爱 吃 苹果\nI love to eat apples\n他 喜欢 喝 茶\n"


@pytest.fixture()
def corpus(tmp_path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text(CORPUS * 3, encoding="utf-8")
    return path


def train(monkeypatch, corpus, output, *extra) -> int:
    return run_in_process(monkeypatch, "ngram", "train", corpus, "--lang", "space", "--no-progress", "-o", output,
                          *extra)


def test_a_device_file_is_refused_and_stays_a_device(monkeypatch, capsys, corpus):
    code = train(monkeypatch, corpus, "/dev/full")
    assert_one_line_error(code, capsys.readouterr().err, says="not a regular file")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_fifo_and_a_directory_are_refused_and_left_alone(monkeypatch, capsys, corpus, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code = train(monkeypatch, corpus, fifo)
    assert_one_line_error(code, capsys.readouterr().err, says="not a regular file")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    (tmp_path / "dir").mkdir()
    code = train(monkeypatch, corpus, tmp_path / "dir")
    assert_one_line_error(code, capsys.readouterr().err, says="is a directory")
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_a_new_file_follows_the_umask_and_a_replaced_file_keeps_its_mode(tmp_path):
    old_mask = os.umask(0o027)
    try:
        with atomic_write(tmp_path / "new.txt") as out:
            out.write("x")
        assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == 0o640  # 0o666 & ~0o027
        (tmp_path / "old.txt").write_text("old")
        os.chmod(tmp_path / "old.txt", 0o604)
        with atomic_write(tmp_path / "old.txt") as out:
            out.write("new")
        assert stat.S_IMODE(os.stat(tmp_path / "old.txt").st_mode) == 0o604
        assert (tmp_path / "old.txt").read_text() == "new"
    finally:
        os.umask(old_mask)


def test_a_failed_write_removes_its_temporary_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "results.json"
    target.write_text("old")
    with pytest.raises(ValueError), atomic_write(target) as out:
        out.write("half of the new")
        raise ValueError("the writer failed")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_a_file_flushed_behind_holds_every_byte_written_in_order(tmp_path, monkeypatch):
    flushed = []
    real = os.fdatasync
    monkeypatch.setattr("bilingual_lm.atomic.os.fdatasync", lambda fd: (flushed.append(fd), real(fd)))
    monkeypatch.setattr("bilingual_lm.atomic.FLUSH_EVERY", 1000)
    pieces = [bytes([i % 251]) * (i * 7 % 300) for i in range(500)]  # ~75 KB in pieces of 0 to 299 bytes
    with atomic_write(tmp_path / "big.bin", "wb", flush_behind=True) as out:
        for piece in pieces:
            out.write(piece)
            time.sleep(0.002)  # a writer that computes between writes: a flush never waits for another
    assert (tmp_path / "big.bin").read_bytes() == b"".join(pieces)
    assert len(flushed) >= 5  # handed to the disk as the writing went, not only at the end


def test_a_disk_that_fails_a_flush_behind_is_a_write_error_and_the_old_file_survives(tmp_path, monkeypatch):
    # a disk with delayed allocation reports a full disk when the pages are written back, not at write()
    def full(_fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("bilingual_lm.atomic.os.fdatasync", full)
    monkeypatch.setattr("bilingual_lm.atomic.FLUSH_EVERY", 1000)
    target = tmp_path / "m.arpa"
    target.write_bytes(b"old")
    with pytest.raises(WriteError, match="no space left"), atomic_write(target, "wb", flush_behind=True) as out:
        for _ in range(100):
            out.write(b"x" * 100)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["m.arpa"]


def test_orphaned_temporary_files_are_removed(tmp_path):
    (tmp_path / ".results.json.abc123.tmp").write_text("left by a killed run")
    (tmp_path / "results.json").write_text("kept")
    assert [p.name for p in remove_orphans(tmp_path)] == [".results.json.abc123.tmp"]
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_a_full_disk_is_one_line_and_the_old_model_survives(monkeypatch, capsys, corpus, tmp_path):
    disk = tmp_path / "disk"
    big_corpus = tmp_path / "big.txt"  # about 200 KB of ARPA: more than the 64 KB disk
    big_corpus.write_text("".join(f"w{i} w{i + 1} w{i + 2}\n" for i in range(3000)), encoding="utf-8")
    with tiny_tmpfs(disk, size="64k") as mounted:
        if not mounted:  # no tmpfs without root: the disk fills at the fsync instead
            def full(_fd):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            monkeypatch.setattr("bilingual_lm.atomic.os.fsync", full)
        if mounted:
            assert train(monkeypatch, corpus, disk / "m.arpa") == 0
            capsys.readouterr()
        before = snapshot(disk)
        code = train(monkeypatch, big_corpus, disk / "m.arpa")
        assert_one_line_error(code, capsys.readouterr().err, says="no space left")
        assert snapshot(disk) == before  # the old model whole, no temporary file


def test_a_read_only_directory_is_one_line(monkeypatch, capsys, corpus, tmp_path):
    target = tmp_path / "ro"
    with tiny_tmpfs(target, read_only=True) as mounted:
        if not mounted:
            if os.geteuid() == 0:
                pytest.skip("root without mount: no read-only directory to test")
            target.chmod(0o555)
        code = train(monkeypatch, corpus, target / "m.arpa")
        assert_one_line_error(code, capsys.readouterr().err, says="read-only" if mounted else "permission denied")


def test_a_file_size_limit_is_one_line(corpus, tmp_path):
    def limit_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    run = blm("ngram", "train", corpus, "--lang", "space", "--no-progress", "-o", tmp_path / "m.arpa",
              env=subprocess_env(tmp_path), preexec_fn=limit_files)
    assert_one_line_error(run.returncode, run.stderr, says="file too large")
    assert not (tmp_path / "m.arpa").exists() and not list(tmp_path.glob(".*.tmp"))


def test_stdout_on_a_full_device_is_one_line(tmp_path):
    with open("/dev/full", "w") as full:
        run = blm("segment", "--lang", "en", "hello world", env=subprocess_env(tmp_path), stdout=full)
    assert_one_line_error(run.returncode, run.stderr, says="no space left")


def test_an_unwritable_cache_directory_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    run = blm("score", "hello", env=subprocess_env(tmp_path, BLM_CACHE_DIR=str(blocker / "cache")))
    assert_one_line_error(run.returncode, run.stderr, says=str(blocker))


def test_invalid_utf8_in_an_argument_is_one_line(tmp_path):
    run = blm("segment", b"caf\xe9", env=subprocess_env(tmp_path))
    assert_one_line_error(run.returncode, run.stderr, says="argument 2 is not valid UTF-8")


@pytest.mark.parametrize("args,says", [
    (["score", "--device", "xpu9", "hi"], "unknown device 'xpu9'"),
    (["eval", "--seed", "-1"], "--seed"),
    (["eval", "--bootstrap", "1000000000000"], "--bootstrap"),
    (["ngram", "train", "x.txt", "-s", "addk", "--k", "inf", "-o", "m.blm"], "--k must be a finite number"),
    (["ngram", "train", "x.txt", "--order", "100000", "-o", "m.arpa"], "at most 10"),
])
def test_bad_numbers_and_devices_are_one_line(monkeypatch, capsys, args, says):
    assert_one_line_error(run_in_process(monkeypatch, *args), capsys.readouterr().err, says=says)


def test_a_bug_exits_1_with_a_pointer_to_report_it(monkeypatch, capsys):
    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("bilingual_lm.cli.segment.get_segmenter", broken)
    line = assert_one_line_error(run_in_process(monkeypatch, "segment", "hi"), capsys.readouterr().err, expected=1)
    assert "bug" in line and "report" in line and "ZeroDivisionError" in line


def test_an_os_error_anywhere_is_one_line(monkeypatch, capsys):
    def unreadable(*_args, **_kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", "/some/dictionary")

    monkeypatch.setattr("bilingual_lm.cli.segment.get_segmenter", unreadable)
    assert_one_line_error(run_in_process(monkeypatch, "segment", "hi"), capsys.readouterr().err,
                          says="/some/dictionary: permission denied")


def test_write_error_names_the_path(tmp_path):
    with pytest.raises(WriteError, match="is a directory"), atomic_write(tmp_path):
        pass
