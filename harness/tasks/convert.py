"""Turn rows (from local files or the hub) into Examples, checking labels on the way.

A row's label that is not in the task's label set is an error naming the source, the
row and the value: a silently mislabelled example would corrupt every score after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError, did_you_mean
from harness.tasks import kinds
from harness.tasks.example import Example

if TYPE_CHECKING:  # schema imports this module's caller; only the type is needed here
    from harness.tasks.formats import Row
    from harness.tasks.schema import TaskDef


class _Context:
    """What every row conversion needs: the task, its label ids, and the rows' source."""

    def __init__(self, task: TaskDef, source: str, unit: str) -> None:
        self.task, self.fields, self.source, self.unit = task, task.fields, source, unit
        self.label_ids = {label: i for i, label in enumerate(task.labels)}
        self.drop = frozenset(task.drop_labels)

    def error(self, line: int, message: str) -> HarnessError:
        return HarnessError(f"{self.source}: {self.unit} {line}: {message}")

    def field(self, row: dict[str, Any], name: str, line: int) -> Any:
        try:
            return row[name]
        except KeyError:
            present = [str(key) for key in row]
            raise self.error(line, f"no field '{name}' (fields present: {', '.join(present)}"
                                   f"{did_you_mean(name, present)}); fix the task's fields "
                                   "or the data") from None

    def text(self, row: dict[str, Any], name: str, line: int, strip: bool = True) -> str:
        value = self.field(row, name, line)
        if value is None:
            raise self.error(line, f"field '{name}' is empty; fill it in or remove the row")
        if isinstance(value, (list, dict)):  # its Python repr would silently become the text
            raise self.error(line, f"field '{name}' holds a {type(value).__name__}, not text; name a text field, "
                                   "or join the values into one string in the data")
        return str(value).strip() if strip else str(value)  # SST-2 keeps a space before the tab

    def unknown(self, what: str, value: str) -> str:
        labels = self.task.labels
        valid = ", ".join(labels[:20]) + (", ..." if len(labels) > 20 else "")
        return f"{what} '{value}' is not in the label set of task {self.task.name} ({valid}); " \
               "fix the data or the task's labels"


def to_examples(
    task: TaskDef, split: str, rows: Sequence[Row], source: str, unit: str = "line"
) -> list[Example]:
    """Examples with ids '<split>-<row index>' (or '<split>-<the id field>' when the task names one, each
    once); rows whose label is in drop_labels are skipped."""
    context = _Context(task, source, unit)
    if task.kind == kinds.TOKEN_CLASSIFICATION:
        make = _spans_example if task.fields.spans else _tagged_example
    elif task.kind == kinds.REGRESSION:
        make = _regression_example
    else:
        make = _classification_example
    examples, seen = [], {}
    for index, line, row in rows:
        example_id = f"{split}-{index}"
        if task.fields.id:
            example_id = f"{split}-{context.text(row, task.fields.id, line)}"
            if example_id in seen:
                raise context.error(line, f"id {example_id.removeprefix(split + '-')} was already used on {context.unit} "
                                          f"{seen[example_id]}; ids in fields.id must be unique within a split")
            seen[example_id] = line
        example = make(context, example_id, row, line)
        if example is not None:
            examples.append(example)
    return examples


def label_key(value: Any) -> str:
    """A raw label as the string the label set uses: 8 -> '8', 1.0 -> '1'."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _classification_example(c: _Context, example_id: str, row: dict[str, Any], line: int) -> Example | None:
    fields = c.fields
    key = label_key(c.field(row, fields.label, line))
    if key in c.drop:
        return None
    label = c.label_ids.get(key)
    if label is None:
        raise c.error(line, c.unknown("label", key))
    pair = c.text(row, fields.text_pair, line) if fields.text_pair else None
    return Example(id=example_id, text=c.text(row, fields.text, line), text_pair=pair, label=label, fields=row)


def _regression_example(c: _Context, example_id: str, row: dict[str, Any], line: int) -> Example | None:
    fields = c.fields
    raw = c.field(row, fields.score, line)
    if label_key(raw) in c.drop:
        return None
    try:
        score = float(raw)
    except (TypeError, ValueError):
        raise c.error(line, f"score '{raw}' is not a number; fix the data (a number within score_range)") \
            from None
    low, high = c.task.score_range
    if not low <= score <= high:
        raise c.error(line, f"score {score} is outside the task's score_range [{low}, {high}]; fix the data or "
                      "the task's score_range")
    pair = c.text(row, fields.text_pair, line) if fields.text_pair else None
    return Example(id=example_id, text=c.text(row, fields.text, line), text_pair=pair, label=score, fields=row)


def _tagged_example(c: _Context, example_id: str, row: dict[str, Any], line: int) -> Example | None:
    words = c.field(row, c.fields.words, line)
    tags = c.field(row, c.fields.tags, line)
    if not isinstance(words, (list, tuple)) or not isinstance(tags, (list, tuple)):
        raise c.error(line, f"expected lists of words and tags, found {type(words).__name__}")
    if len(words) != len(tags):
        raise c.error(line, f"{len(words)} words but {len(tags)} tags; give every word exactly one tag")
    if not words:
        return None  # an empty sentence carries nothing to tag
    ids = []
    for k, tag in enumerate(tags):
        tag_id = c.label_ids.get(label_key(tag))
        if tag_id is None:
            raise c.error(line + k if c.unit == "line" else line, c.unknown(f"tag (word {k + 1})", tag))
        ids.append(tag_id)
    return Example(id=example_id, words=tuple(str(w) for w in words), tags=tuple(ids), fields=row)


def _spans_example(c: _Context, example_id: str, row: dict[str, Any], line: int) -> Example | None:
    """CLUENER: `{type: {entity: [[start, end], ...]}}`, end inclusive -> one IOB2 tag per character.

    Nested or overlapping spans (one in CLUENER train) keep the span that starts first,
    the longer one on a tie: a flat tag sequence can hold only one of them.
    """
    text = c.text(row, c.fields.text, line, strip=False)  # offsets count every character
    entities = c.field(row, c.fields.spans, line) or {}
    if not isinstance(entities, dict):
        raise c.error(line, f"expected {{type: {{entity: [[start, end]]}}}}, found {type(entities).__name__}")
    spans = []
    for entity_type, mentions in entities.items():
        if f"B-{entity_type}" not in c.label_ids:
            raise c.error(line, c.unknown("entity type", f"B-{entity_type}"))
        for entity, positions in (mentions or {}).items():
            for position in positions:
                start, end = int(position[0]), int(position[1])
                if not 0 <= start <= end < len(text):
                    raise c.error(line, f"span [{start}, {end}] of '{entity}' is outside the text "
                                  f"({len(text)} characters)")
                if text[start:end + 1] != entity:
                    raise c.error(line, f"span [{start}, {end}] reads '{text[start:end + 1]}', "
                                  f"not the entity '{entity}'")
                spans.append((start, -end, entity_type))
    tags = [c.label_ids["O"]] * len(text)
    taken = [False] * len(text)
    for start, neg_end, entity_type in sorted(spans):
        end = -neg_end
        if any(taken[start:end + 1]):
            continue
        tags[start] = c.label_ids[f"B-{entity_type}"]
        for i in range(start + 1, end + 1):
            tags[i] = c.label_ids[f"I-{entity_type}"]
        for i in range(start, end + 1):
            taken[i] = True
    return Example(id=example_id, words=tuple(text), tags=tuple(tags), fields=row)
