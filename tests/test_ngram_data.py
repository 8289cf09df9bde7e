"""The KenLM reference data in tests/data/kenlm-hsk/: readers shared by the n-gram tests, and checks that
the data is what its README says."""

from __future__ import annotations

from pathlib import Path

KENLM = Path(__file__).parent / "data" / "kenlm-hsk"


def sentences(name: str) -> list[list[str]]:
    """A tokenized file of the fixtures: one sentence a line, tokens separated by spaces."""
    return [line.split() for line in (KENLM / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def kenlm_query(name: str) -> list[list[tuple[str, int, int, float]]]:
    """KenLM's `query -v word` output: per sentence, (word, vocab id, n-gram length, log10 p) for each
    word and </s> (vocab id 0 is <unk>)."""
    result, current = [], []
    for line in (KENLM / name).read_text(encoding="utf-8").splitlines():
        for item in line.split("\t"):
            fields = item.split(" ")
            if len(fields) != 3 or "=" not in fields[0]:
                continue  # the "Total:" and statistics lines
            word, vocab_id = fields[0].rsplit("=", 1)
            current.append((word, int(vocab_id), int(fields[1]), float(fields[2])))
            if word == "</s>":
                result.append(current)
                current = []
    return result


def test_the_fixture_split_is_the_hsk_train_test_split():
    from bilingual_lm.corpora.hsk import train_test_split

    train, test = train_test_split()
    for lang in ("zh", "en"):
        assert len(sentences(f"{lang}.train.txt")) == len(train)
        assert len(sentences(f"{lang}.test.txt")) == len(test)
    # the Chinese tokens, joined, are the sentence without its whitespace
    assert ["".join(words) for words in sentences("zh.test.txt")] == ["".join(s.zh.split()) for s in test]


def test_query_files_hold_one_item_per_test_word_and_sentence_end():
    for lang in ("zh", "en"):
        for order in (3, 5):
            query = kenlm_query(f"{lang}.o{order}.query.txt")
            assert [[w for w, _, _, _ in s] for s in query] == [[*s, "</s>"] for s in sentences(f"{lang}.test.txt")]
