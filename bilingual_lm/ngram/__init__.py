"""n-gram language models: counting, smoothing (MLE, add-k, Witten-Bell, modified Kneser-Ney, stupid
backoff), ARPA and native files, and vectorised queries."""

from bilingual_lm.ngram.load import load_ngram
from bilingual_lm.ngram.model import NgramModel, SentenceScores
from bilingual_lm.ngram.smoothing import SMOOTHERS
from bilingual_lm.ngram.train import train_ngram

__all__ = ["SMOOTHERS", "NgramModel", "SentenceScores", "load_ngram", "train_ngram"]
