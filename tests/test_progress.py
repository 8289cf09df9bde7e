"""Library work reports progress through a caller's callback (`bilingual_lm.progress`), never by drawing."""

import ast
from contextlib import contextmanager
from pathlib import Path

from bilingual_lm.ngram import train_ngram
from bilingual_lm.score.ngram import NgramScorer
from bilingual_lm.segment import get_segmenter

LIBRARY = Path(__file__).resolve().parents[1] / "bilingual_lm"


class Recorder:
    """A `Progress` that records each bar's label, total and advances."""

    def __init__(self):
        self.bars = []

    @contextmanager
    def __call__(self, label, total):
        bar = {"label": label, "total": total, "done": 0}
        self.bars.append(bar)

        def advance(n, note=None):
            bar["done"] += n

        yield advance


def test_training_reports_each_order_and_the_smoothing_once():
    recorder = Recorder()
    train_ngram([["a", "b", "c"], ["a", "c"]], 3, "kn", progress=recorder)
    assert recorder.bars == [{"label": "counting and smoothing", "total": 4, "done": 4}]


def test_scoring_reports_every_text():
    model = train_ngram([["a", "b"], ["b", "a"]], 2, "kn")
    recorder = Recorder()
    NgramScorer(model, get_segmenter("space"), "t").score(["a b", "b", "a a b"], batch_size=2, progress=recorder)
    assert recorder.bars == [{"label": "scoring", "total": 3, "done": 3}]


def test_no_library_module_outside_the_cli_imports_rich_progress():
    drawing = []
    for path in LIBRARY.rglob("*.py"):
        if "cli" in path.relative_to(LIBRARY).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "rich.progress":
                drawing.append(str(path.relative_to(LIBRARY)))
    assert drawing == []
