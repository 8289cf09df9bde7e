"""Regenerate every built-in task file: ``python -m eval.generate [--seed N] [--out DIR]``."""

import argparse

from eval.generate import cldr, hsk
from eval.generate.sampling import SEED

parser = argparse.ArgumentParser(prog="python -m eval.generate", description=__doc__)
parser.add_argument("--seed", type=int, default=SEED)
parser.add_argument("--out", help="output folder (default: the built-in tasks folder)")
args = parser.parse_args()
for generator in (cldr, hsk):
    for path in generator.generate(args.seed, args.out):
        print(path)
