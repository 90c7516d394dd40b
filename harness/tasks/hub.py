"""Rows of a split from the Hugging Face hub, in the same form as the local files.

Hub datasets often name columns differently (GLUE MRPC: sentence1 for '#1 String') and
store labels as class ids (GLUE SST-2: 0/1 with names negative/positive). The task's
`hub.fields` renames columns to the local field names, and class ids become the task's
raw label values through `hub.labels`, or else the dataset's own class names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.tasks.formats import Row
    from harness.tasks.schema import TaskDef


def load_hub_rows(task: TaskDef, split: str) -> list[Row]:
    """Download (or read from the datasets cache) one split; any failure propagates."""
    import datasets  # a slow import: only paid when data comes from the hub

    hub = task.hub
    assert hub is not None
    dataset = datasets.load_dataset(hub.path, hub.name, split=hub.hub_split(split), revision=hub.revision)
    return rows_from_dataset(task, dataset)


def rows_from_dataset(task: TaskDef, dataset: Any) -> list[Row]:
    """(index, index, row) for each record of a `datasets.Dataset`, renamed and label-mapped."""
    hub = task.hub
    assert hub is not None
    rename = {column: name for name, column in hub.fields.items()}
    label_field = task.fields.label or task.fields.tags  # class ids to turn into raw labels
    names = None
    if label_field is not None:
        column = hub.fields.get(label_field, label_field)
        names = list(hub.labels) if hub.labels else _class_names(dataset.features.get(column))
    rows: list[Row] = []
    for index, record in enumerate(dataset.to_list()):  # one arrow conversion, not a row at a time
        row = {rename.get(key, key): value for key, value in record.items()}
        if names is not None and label_field in row:
            value = row[label_field]
            row[label_field] = [_name(v, names) for v in value] if isinstance(value, list) else _name(value, names)
        rows.append((index, index, row))
    return rows


def _class_names(feature: Any) -> list[str] | None:
    """ClassLabel names of a column, or of the items of a list column (NER tags)."""
    for candidate in (feature, getattr(feature, "feature", None)):
        names = getattr(candidate, "names", None)
        if names:
            return list(names)
    return None


def _name(value: Any, names: list[str]) -> Any:
    """Class id -> raw label; -1 (unlabelled) and other values pass through for the label check."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        return names[value]
    return value
