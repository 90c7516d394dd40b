"""A task's metrics on a model's predictions, whatever the task kind."""

from __future__ import annotations

from harness.metrics import evaluate
from harness.tasks import TaskDef, kinds


def score_predictions(task: TaskDef, metric_names: list[str], values: list, examples, **options):
    """The metrics' report on `values` (class ids, scores, or tag ids per word) against the examples' gold."""
    if task.kind == kinds.TOKEN_CLASSIFICATION:
        names = task.labels
        predictions = [[names[t] for t in tags] for tags in values]
        references = [[names[t] for t in ex.tags] for ex in examples]
        return evaluate(metric_names, predictions, references, tag_names=list(names), **options)
    if task.kind in kinds.CLASSIFICATION_KINDS:  # every class counted, also one no example has
        options.setdefault("num_classes", task.num_labels)
    return evaluate(metric_names, values, [ex.label for ex in examples], **options)
