"""Regenerate every built-in task file: ``python -m eval.generate [--seed N] [--out DIR]``."""

from eval.generate import cldr, hsk, lens
from eval.generate.taskfile import run_generators

run_generators("python -m eval.generate", __doc__, [cldr.generate, hsk.generate, lens.generate])
