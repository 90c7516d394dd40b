"""Hugging Face `evaluate` metric modules written by the tests (no hub): accuracy, binary F1, and broken ones."""

from __future__ import annotations

from pathlib import Path

INT_FEATURES = 'datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")})'
TAG_FEATURES = ('datasets.Features({"predictions": datasets.Sequence(datasets.Value("string")), '
                '"references": datasets.Sequence(datasets.Value("string"))})')

TEMPLATE = '''"""{doc}"""
import datasets
import evaluate


class {cls}(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(description="{doc}", citation="", inputs_description="",
                                   features={features})

    def _compute(self, predictions, references):
{body}
'''

ACCURACY = "        return {'accuracy': sum(p == r for p, r in zip(predictions, references)) / len(references)}"
# scikit-learn's binary F1 of class 1, as evaluate's own f1 metric computes it
BINARY_F1 = ("        from sklearn.metrics import f1_score\n"
             "        return {'f1': float(f1_score(references, predictions)), 'support': len(references)}")
SENTENCE_MATCH = ("        same = [list(p) == list(r) for p, r in zip(predictions, references)]\n"
                  "        return {'sentence_match': sum(same) / len(same)}")


def metric_source(body: str, *, cls: str = "TestMetric", features: str = INT_FEATURES, doc: str = "a test metric") -> str:
    return TEMPLATE.format(cls=cls, features=features, body=body, doc=doc)


def write_metric(path: Path, body: str, **options: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(metric_source(body, **options), encoding="utf-8")
    return path


def write_accuracy_and_f1(folder: Path) -> tuple[Path, Path]:
    """hf_accuracy.py (a script) and hf_binary_f1/ (a folder holding hf_binary_f1.py), as evaluate loads both."""
    accuracy = write_metric(folder / "hf_accuracy.py", ACCURACY, cls="HfAccuracy")
    f1 = write_metric(folder / "hf_binary_f1" / "hf_binary_f1.py", BINARY_F1, cls="HfBinaryF1")
    return accuracy, f1.parent
# seqeval's entity F1 (its default, conlleval reading), as evaluate's own seqeval metric computes it
SEQEVAL_F1 = ("        from seqeval.metrics import f1_score\n"
              "        return {'entity_f1': float(f1_score(references, predictions))}")
