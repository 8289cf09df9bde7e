"""Training within a memory budget: the text is counted in chunks, whose sorted tables are spilled to disk as
runs and merged (as lmplz streams sorted runs through its temporary directory); a Kneser-Ney model too large
for the budget is estimated and written as ARPA from those tables on disk."""

from bilingual_lm.ngram.spill.memory import default_memory, parse_memory
from bilingual_lm.ngram.spill.train import SpillReport, train_ngram_bounded, write_arpa_bounded

__all__ = ["SpillReport", "default_memory", "parse_memory", "train_ngram_bounded", "write_arpa_bounded"]
