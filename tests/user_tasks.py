"""Small task folders written by the tests: a user's own tasks, with data beside the YAML."""

from __future__ import annotations

from pathlib import Path

POSITIVE = ["a charming and often affecting journey", "a gorgeous witty movie", "the acting is astounding"]
NEGATIVE = ["unflinchingly bleak and desperate", "it is a mess of a movie", "the film is a mess"]

SENTIMENT = """
name: tiny-sentiment
suite: tiny
description: a few sentiment phrases written for the tests
kind: text_classification
max_length: 32
fields: {text: sentence, label: label}
labels: ["0", "1"]
metrics: [accuracy, f1]
headline: accuracy
data:
  format: tsv
  files: {train: ./sentiment/train.tsv, dev: ./sentiment/dev.tsv}
splits:
  train: train
  selection: {holdout: 4, fraction: 0.2}
  evaluation: [dev]
prompts:
  - name: question
    template: "{{sentence}}\\nQuestion: Is this sentence positive or negative?\\nAnswer:"
    choices: [negative, positive]
    synonyms: [[bad, unfavorable], [good, favorable]]
  - name: it-was
    template: "{{text}} It was"
    choices: [bad, good]
    headline_scoring: mean
"""

SIMILARITY = """
name: tiny-similarity
suite: tiny
description: sentence pairs with a similarity score
kind: regression
max_length: 48
fields: {text: sentence1, text_pair: sentence2, score: score}
score_range: [0, 5]
metrics: [pearson, spearman]
headline: pearson
data:
  format: tsv
  files: {train: ./similarity/train.tsv, dev: ./similarity/dev.tsv}
splits:
  train: train
  selection: {holdout: 4, fraction: 0.2}
  evaluation: [dev]
"""

ENTITIES = """
name: tiny-ner
suite: tiny
description: a few sentences tagged with people and places
kind: token_classification
max_length: 32
fields: {words: token, tags: ner}
labels: [O, B-PER, I-PER, B-LOC, I-LOC]
metrics: [entity_f1, entity_precision, entity_recall]
headline: entity_f1
data:
  format: conll
  columns: [token, ner]
  files: {train: ./ner/train.txt, valid: ./ner/valid.txt, test: ./ner/test.txt}
splits:
  train: train
  selection: valid
  evaluation: [valid, test]
  headline: test
"""

NER_SENTENCES = [
    [("Peter", "B-PER"), ("Blackburn", "I-PER"), ("went", "O"), ("to", "O"), ("Brussels", "B-LOC")],
    [("Japan", "B-LOC"), ("won", "O"), ("in", "O"), ("Tokyo", "B-LOC")],
    [("Maria", "B-PER"), ("lives", "O"), ("in", "O"), ("New", "B-LOC"), ("York", "I-LOC")],
]


def write_user_tasks(root: Path, rows: int = 24) -> Path:
    """A tasks folder with three tasks (classification, regression, NER) and their data."""
    (root / "sentiment").mkdir(parents=True)
    (root / "similarity").mkdir()
    (root / "ner").mkdir()
    (root / "sentiment.yaml").write_text(SENTIMENT)
    (root / "similarity.yaml").write_text(SIMILARITY)
    (root / "ner.yaml").write_text(ENTITIES)
    phrases = [(p, 1) for p in POSITIVE] + [(n, 0) for n in NEGATIVE]
    for split, count in (("train", rows), ("dev", rows // 2)):
        lines = ["sentence\tlabel"] + [f"{phrases[i % 6][0]}\t{phrases[i % 6][1]}" for i in range(count)]
        (root / "sentiment" / f"{split}.tsv").write_text("\n".join(lines) + "\n")
        pairs = ["sentence1\tsentence2\tscore"] + [
            f"{phrases[i % 6][0]}\t{phrases[(i + i % 3) % 6][0]}\t{(i % 6) * 0.8:.1f}" for i in range(count)]
        (root / "similarity" / f"{split}.tsv").write_text("\n".join(pairs) + "\n")
    for split, count in (("train", rows), ("valid", 6), ("test", 6)):
        blocks = ["\n".join(f"{w} {t}" for w, t in NER_SENTENCES[i % 3]) for i in range(count)]
        (root / "ner" / f"{split}.txt").write_text("-DOCSTART- O\n\n" + "\n\n".join(blocks) + "\n")
    return root
