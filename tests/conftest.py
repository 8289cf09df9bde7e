"""Fixtures shared by the test modules."""

import sys
from types import SimpleNamespace

import pytest

from bilingual_lm.cli import main


@pytest.fixture()
def blm(monkeypatch, capsys):
    """`blm ARGS` through the CLI's entry point in this process: (returncode, stdout, stderr).

    `env` sets environment variables for the call (e.g. BLM_CACHE_DIR).
    """

    def run(*args: str, env: dict[str, str] | None = None) -> SimpleNamespace:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "argv", ["blm", *map(str, args)])
        try:
            main()
            status = 0
        except SystemExit as done:
            status = done.code
        out = capsys.readouterr()
        return SimpleNamespace(returncode=status, stdout=out.out, stderr=out.err)

    return run
