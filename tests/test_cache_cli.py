"""`blm cache` on a temporary cache directory holding real files: listing, sizes, last use, removal, bad input."""

import json
import os
import time
from pathlib import Path

import pytest

DAY = 86400


SOURCE = b'{"gguf_file": "g.gguf", "gguf_sha256": "abcdef0123456789"}'


def write(path: Path, data: int | bytes, age_days: float) -> None:
    """`data` bytes (or that many random ones) last used `age_days` ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(data) if isinstance(data, int) else data)
    when = time.time() - age_days * DAY
    os.utime(path, (when, when))


@pytest.fixture()
def cache(tmp_path) -> Path:
    """A cache with an old conversion (two files), a fresh request cache (with its WAL), an old n-gram."""
    root = tmp_path / "cache"
    write(root / "models/gemma3-270m-abc/model.safetensors", 3000, age_days=40)
    write(root / "models/gemma3-270m-abc/source.json", SOURCE, age_days=40)
    write(root / "eval/requests.sqlite", 500, age_days=0)
    write(root / "eval/requests.sqlite-wal", 70, age_days=0)
    write(root / "ngram/hsk-zh.blm", 200, age_days=31)
    write(root / "fingerprints/a.json", 10, age_days=2)
    write(root / "fingerprints/b.json", 11, age_days=50)
    return root


@pytest.fixture()
def cache_cli(blm):
    """`blm cache ARGS` on the cache directory `cache`."""
    return lambda cache, *args: blm("cache", *args, env={"BLM_CACHE_DIR": str(cache)})


@pytest.fixture()
def listing(cache_cli):
    return lambda cache: _names(cache_cli(cache, "--format", "json"))


def _names(done) -> dict:
    assert done.returncode == 0, done.stderr
    return {entry["name"]: entry for entry in json.loads(done.stdout)["entries"]}


def test_lists_each_entry_with_the_size_of_its_files(cache, listing):
    entries = listing(cache)
    conversion_size = 3000 + len(SOURCE)
    assert {name: entry["bytes"] for name, entry in entries.items()} == {
        "models/gemma3-270m-abc": conversion_size,
        "eval/requests.sqlite": 500 + 70,  # the WAL belongs to its database
        "ngram/hsk-zh.blm": 200,
        "fingerprints": 21,  # one entry: its files only make sense together
    }
    assert entries["models/gemma3-270m-abc"]["kind"] == "model conversion"
    assert "g.gguf" in entries["models/gemma3-270m-abc"]["detail"]


def test_last_use_is_the_newest_file_time_of_the_entry(cache, listing):
    entries = listing(cache)
    fingerprints = time.strptime(entries["fingerprints"]["last_used"], "%Y-%m-%dT%H:%M:%SZ")
    expected = time.gmtime(time.time() - 2 * DAY)  # a.json, the newer of its two files
    assert abs(time.mktime(fingerprints) - time.mktime(expected)) <= 60


def test_older_than_removes_only_entries_unused_that_long(cache, cache_cli, listing):
    done = cache_cli(cache, "remove", "--older-than", "30d")
    assert done.returncode == 0, done.stderr
    assert not (cache / "models/gemma3-270m-abc").exists() and not (cache / "ngram/hsk-zh.blm").exists()
    assert (cache / "eval/requests.sqlite").exists() and (cache / "fingerprints/b.json").exists()
    assert set(listing(cache)) == {"eval/requests.sqlite", "fingerprints"}


def test_dry_run_removes_nothing_and_says_what_it_would(cache, cache_cli):
    done = cache_cli(cache, "remove", "--older-than", "5w", "--dry-run", "--format", "json")  # 35 days
    assert [entry["name"] for entry in json.loads(done.stdout)["entries"]] == ["models/gemma3-270m-abc"]
    assert (cache / "models/gemma3-270m-abc/model.safetensors").exists()


def test_remove_by_name_takes_the_database_with_its_wal(cache, cache_cli, listing):
    assert cache_cli(cache, "remove", "eval/requests.sqlite").returncode == 0
    assert list((cache / "eval").iterdir()) == []
    assert "models/gemma3-270m-abc" in listing(cache)


def test_table_names_every_entry_in_full(cache, cache_cli):
    table = cache_cli(cache).stdout
    assert all(name in table for name in ("models/gemma3-270m-abc", "eval/requests.sqlite", "ngram/hsk-zh.blm"))


def test_empty_or_missing_cache_lists_nothing(tmp_path, listing):
    assert listing(tmp_path / "absent") == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["remove"], "name the entries"),
        (["remove", "models/nope"], "not in the cache"),
        (["remove", "../outside.txt"], "not in the cache"),
        (["remove", "{outside}"], "not in the cache"),
        (["remove", "models"], "not in the cache"),
        (["remove", "--older-than", "30"], "--older-than"),
        (["remove", "--older-than", "-1d"], "--older-than"),
        (["remove", "--older-than", "30 days"], "--older-than"),
        (["remove", "ngram/hsk-zh.blm", "--older-than", "soon"], "--older-than"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_removes_nothing(cache, tmp_path, cache_cli, listing, args, message):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    before = listing(cache)
    done = cache_cli(cache, *(arg.format(outside=outside) for arg in args))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert listing(cache) == before and outside.read_text() == "keep me"
