"""The smoothers, by the names that `train_ngram(smoothing=...)` and `blm ngram train` accept."""

from bilingual_lm.ngram.smoothing.additive import add_k, maximum_likelihood
from bilingual_lm.ngram.smoothing.estimate import Estimate
from bilingual_lm.ngram.smoothing.kneser_ney import kneser_ney
from bilingual_lm.ngram.smoothing.stupid_backoff import stupid_backoff
from bilingual_lm.ngram.smoothing.witten_bell import witten_bell

SMOOTHERS = {
    "mle": maximum_likelihood,
    "addk": add_k,
    "wb": witten_bell,
    "kn": kneser_ney,
    "stupid": stupid_backoff,
}

__all__ = ["SMOOTHERS", "Estimate"]
