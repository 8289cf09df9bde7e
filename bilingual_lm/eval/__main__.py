"""`python -m bilingual_lm.eval ARGS` runs `blm eval ARGS`, for launchers that take a module:
`torchrun --nproc_per_node 2 -m bilingual_lm.eval --lang zh,en`."""

import sys

from bilingual_lm.cli import main

sys.argv[1:1] = ["eval"]
main()
