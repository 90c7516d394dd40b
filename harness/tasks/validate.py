"""Read a task YAML file and check every field, with one clear error per problem.

Errors read "<file>: <field>: expected <what>, found <what>", so a user can fix their
own task file without reading this code. The format is documented in harness/tasks/builtin/README.md.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.metrics import METRICS
from harness.metrics.evaluate_metric import register_evaluate_metric
from harness.metrics.evaluate_module import is_evaluate_name
from harness.tasks import kinds
from harness.tasks.prompts import parse_prompts
from harness.tasks.schema import PREDICTIONS, TaskDef, metrics_for
from harness.tasks.specs import (
    DEFAULT_HOLDOUT_SEED,
    DataSpec,
    Fields,
    Fold,
    Holdout,
    HubSpec,
)
from harness.yaml_file import YamlFile, read_mapping

TOP_KEYS = (
    "name", "suite", "description", "aliases", "kind", "max_length", "fields", "labels",
    "label_names", "drop_labels", "score_range", "word_separator", "metrics", "headline",
    "data", "splits", "hub", "prompts",
)
FIELDS_BY_KIND = {
    kinds.TEXT_CLASSIFICATION: ("text", "label", "id"),
    kinds.TEXT_PAIR_CLASSIFICATION: ("text", "text_pair", "label", "id"),
    kinds.REGRESSION: ("text", "text_pair", "score", "id"),
    kinds.TOKEN_CLASSIFICATION: ("words", "tags", "text", "spans", "id"),
}
OPTIONAL_FIELDS = ("id",)
FORMATS = ("tsv", "jsonl", "conll")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


TASK_FILE = YamlFile(
    name="task file {path}",
    holds="a mapping of task fields",
    if_unreadable="give a task name (`harness tasks` lists them) or the path of an existing YAML file",
    if_invalid="fix the syntax there (`harness tasks validate FILE` checks it)",
)


def read_yaml(path: Path) -> dict[str, Any]:
    """The parsed mapping of a task file; HarnessError for a missing or malformed file."""
    return read_mapping(path, TASK_FILE)


def content_hash(raw: Mapping[str, Any]) -> str:
    """sha256 of the parsed content: comments and layout do not change it, any value does."""
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def validate_task_file(path: str | Path) -> TaskDef:
    """Read and check one task file; HarnessError '<file>: <field>: ...' on the first problem."""
    path = Path(path).expanduser().resolve()
    return task_from_dict(read_yaml(path), path)


def task_from_dict(raw: dict[str, Any], path: Path) -> TaskDef:
    return _Checker(path).task(raw)


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{type(value).__name__} {text}"


class _Checker:
    """Field checks that all report against one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.metric_code: dict[str, str] = {}  # evaluate metric -> its identity (name@code hash)

    def fail(self, field: str, expected: str, found: Any = ..., detail: str | None = None) -> HarnessError:
        found_text = detail if detail is not None else _show(None if found is ... else found)
        return HarnessError(f"{self.path}: {field}: expected {expected}, found {found_text}")

    # -- primitive checks ---------------------------------------------------------------
    def keys(self, value: Mapping[str, Any], allowed: tuple[str, ...], field: str) -> None:
        for key in value:
            if key not in allowed:
                where = f"{field}.{key}" if field else str(key)
                raise self.fail(where, f"one of the fields {', '.join(allowed)}", detail=f"unknown field '{key}'")

    def mapping(self, value: Any, field: str, required: bool = True) -> dict[str, Any] | None:
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            raise self.fail(field, "a mapping", value)
        return value

    def string(self, value: Any, field: str, required: bool = True, empty_ok: bool = False) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str) or (not value and not empty_ok):
            raise self.fail(field, "a string" if empty_ok else "a non-empty string", value)
        return value

    def strings(self, value: Any, field: str, required: bool = True, unique: bool = True) -> list[str]:
        if value is None and not required:
            return []
        if not isinstance(value, list) or not value:
            raise self.fail(field, "a non-empty list of strings", value)
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item:
                hint = " (quote values such as '0')" if isinstance(item, (int, float)) else ""
                raise self.fail(f"{field}[{i}]", f"a non-empty string{hint}", item)
        if unique:
            seen: set[str] = set()
            for item in value:
                if item in seen:
                    raise self.fail(field, "values without duplicates", detail=f"'{item}' twice")
                seen.add(item)
        return list(value)

    def string_map(self, value: Any, field: str) -> dict[str, str]:
        value = self.mapping(value, field, required=False) or {}
        for key, item in value.items():
            self.string(item, f"{field}.{key}")
        return {str(k): v for k, v in value.items()}

    def positive_int(self, value: Any, field: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.fail(field, "a positive integer", value)
        return value

    # -- sections -----------------------------------------------------------------------
    def task(self, raw: dict[str, Any]) -> TaskDef:
        self.keys(raw, TOP_KEYS, "")
        name = self.string(raw.get("name"), "name")
        if not NAME_PATTERN.match(name):
            raise self.fail("name", "lower-case letters, digits, '-', '_' or '.'", name)
        kind = self.string(raw.get("kind"), "kind")
        if kind not in kinds.KINDS:
            raise self.fail("kind", f"one of {', '.join(kinds.KINDS)}", kind)
        aliases = self.strings(raw.get("aliases"), "aliases", required=False)
        if name in aliases:
            raise self.fail("aliases", "names other than the task's own name", detail=f"'{name}'")
        fields = self.fields(raw.get("fields"), kind)
        labels, label_names = self.labels(raw, kind)
        metrics = self.metrics(raw.get("metrics"), kind, labels)
        headline = self.string(raw.get("headline"), "headline")
        if headline not in metrics:
            raise self.fail("headline", f"one of the task's metrics ({', '.join(metrics)})", headline)
        data = self.data(raw.get("data"), fields)
        hub = self.hub(raw.get("hub"))
        if data is None and hub is None:
            raise self.fail("data", "local files (data) or a hub dataset (hub), or both", None)
        splits = self.splits(raw.get("splits"), data, hub)
        drop = self.strings(raw.get("drop_labels"), "drop_labels", required=False)
        for value in drop:
            if value in labels:
                raise self.fail("drop_labels", "values that are not in labels", detail=f"'{value}'")
        separator = raw.get("word_separator", " ")
        self.string(separator, "word_separator", empty_ok=True)
        return TaskDef(
            name=name,
            suite=self.string(raw.get("suite"), "suite"),
            kind=kind,
            description=self.string(raw.get("description"), "description"),
            aliases=aliases,
            labels=labels,
            label_names=label_names,
            num_labels=len(labels) if labels else 1,
            metrics=metrics,
            headline=headline,
            max_length=self.positive_int(raw.get("max_length"), "max_length"),
            word_separator=separator,
            path=self.path,
            # prompts have their own hashes: editing one must not change fine-tuning run ids; the code of an
            # evaluate metric is part of the definition (other code, other scores)
            hash=content_hash({**{key: value for key, value in raw.items() if key != "prompts"},
                               **({"evaluate_code": self.metric_code} if self.metric_code else {})}),
            prompts=self.prompts(raw.get("prompts"), kind, labels),
            fields=fields,
            drop_labels=drop,
            score_range=self.score_range(raw.get("score_range"), kind),
            data=data,
            hub=hub,
            raw=raw,
            **splits,
        )

    def prompts(self, value: Any, kind: str, labels: list[str]):
        if value is not None and kind not in (kinds.TEXT_CLASSIFICATION, kinds.TEXT_PAIR_CLASSIFICATION):
            raise self.fail("prompts", "no prompts: zero/few-shot prompting scores classification tasks only",
                            detail=f"prompts on a {kind} task")
        return parse_prompts(value, labels, self.fail)

    def fields(self, value: Any, kind: str) -> Fields:
        value = self.mapping(value, "fields")
        allowed = FIELDS_BY_KIND[kind]
        for key in value:
            if key not in allowed:
                raise self.fail(
                    f"fields.{key}", f"only {', '.join(allowed)} for a {kind} task", detail=f"'{key}'"
                )
        for key, item in value.items():
            self.string(item, f"fields.{key}")
        if kind == kinds.TOKEN_CLASSIFICATION:
            words = "words" in value and "tags" in value and "text" not in value and "spans" not in value
            spans = "text" in value and "spans" in value and "words" not in value and "tags" not in value
            if not (words or spans):
                raise self.fail("fields", "either words and tags (one row per sentence) or text and spans "
                                "(character spans)", detail=", ".join(value) or "no fields")
        else:
            needed = [key for key in allowed if key not in OPTIONAL_FIELDS
                      and (key != "text_pair" or kind != kinds.REGRESSION)]
            for key in needed:
                if key not in value:
                    raise self.fail(f"fields.{key}", f"the row field that holds the {key} (a {kind} task)", None)
        return Fields(**value)

    def labels(self, raw: dict[str, Any], kind: str) -> tuple[list[str], list[str]]:
        if kind == kinds.REGRESSION:
            for key in ("labels", "label_names"):
                if key in raw:
                    raise self.fail(key, "no label set for a regression task (use score_range)",
                                    detail="a label set")
            return [], []
        labels = self.strings(raw.get("labels"), "labels")
        if len(labels) < 2:
            raise self.fail("labels", "at least two labels", labels)
        if kind == kinds.TOKEN_CLASSIFICATION:
            self.iob2(labels)
        names = self.strings(raw.get("label_names"), "label_names", required=False, unique=False)
        if names and len(names) != len(labels):
            raise self.fail("label_names", f"{len(labels)} names, one per label", detail=f"{len(names)} names")
        return labels, names or list(labels)

    def iob2(self, tags: list[str]) -> None:
        if "O" not in tags:
            raise self.fail("labels", "an IOB2 tag set containing 'O'", detail="no 'O'")
        for tag in tags:
            if tag == "O":
                continue
            if not re.match(r"^[BI]-.+$", tag):
                raise self.fail("labels", "IOB2 tags: 'O', 'B-TYPE', 'I-TYPE'", detail=f"'{tag}'")
            other = ("I-" if tag[0] == "B" else "B-") + tag[2:]
            if other not in tags:
                raise self.fail("labels", "both B- and I- tags for every type", detail=f"'{tag}' without '{other}'")

    def metrics(self, value: Any, kind: str, labels: list[str]) -> list[str]:
        metrics = self.strings(value, "metrics")
        fitting = metrics_for(kind)
        for metric in metrics:
            if is_evaluate_name(metric):
                self.evaluate_metric(metric, kind)
                continue
            if metric not in METRICS:
                raise self.fail("metrics", f"metric names from {', '.join(METRICS)}", detail=f"'{metric}'")
            if metric not in fitting:
                raise self.fail("metrics", f"metrics for a {kind} task ({', '.join(fitting)})", detail=f"'{metric}'")
        if "f1" in metrics and len(labels) != 2:
            raise self.fail("metrics", "f1 only with two labels (binary F1 of the second label; use f1_macro)",
                            detail=f"{len(labels)} labels")
        return metrics

    def evaluate_metric(self, name: str, kind: str) -> None:
        """Load and check `evaluate:...` now, before any model loads; relative paths start at this file's folder."""
        try:
            _, self.metric_code[name] = register_evaluate_metric(name, self.path.parent, PREDICTIONS[kind], kind)
        except HarnessError as error:
            raise HarnessError(f"{self.path}: metrics: {error}") from None

    def score_range(self, value: Any, kind: str) -> tuple[float, float] | None:
        if kind != kinds.REGRESSION:
            if value is not None:
                raise self.fail("score_range", "no score_range for a task that is not regression", value)
            return None
        ok = (isinstance(value, list) and len(value) == 2
              and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))
        if not ok or value[0] >= value[1]:
            raise self.fail("score_range", "[low, high] with low < high", value)
        return float(value[0]), float(value[1])

    def data(self, value: Any, fields: Fields) -> DataSpec | None:
        value = self.mapping(value, "data", required=False)
        if value is None:
            return None
        self.keys(value, ("format", "encoding", "header", "columns", "files"), "data")
        fmt = self.string(value.get("format"), "data.format")
        if fmt not in FORMATS:
            raise self.fail("data.format", f"one of {', '.join(FORMATS)}", fmt)
        encoding = self.string(value.get("encoding", "utf-8"), "data.encoding")
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise self.fail("data.encoding", "a Python codec name such as utf-8 or utf-8-sig", encoding) from None
        header = value.get("header", fmt == "tsv")
        if not isinstance(header, bool) or (header and fmt != "tsv"):
            raise self.fail("data.header", "true or false (tsv only)", header)
        columns = self.strings(value.get("columns"), "data.columns", required=False) or None
        if fmt == "conll" or (fmt == "tsv" and not header):
            if columns is None:
                raise self.fail("data.columns", f"the column names in order ({fmt} without a header)", None)
        elif columns is not None:
            raise self.fail("data.columns", "no columns (the file names its own)", columns)
        if fmt == "conll" and fields.words is None:
            raise self.fail("data.format", "conll only for words and tags (token classification)", fmt)
        if fields.spans is not None and fmt != "jsonl":
            raise self.fail("data.format", "jsonl for character spans", fmt)
        if columns is not None:
            for key, column in vars(fields).items():
                if column is not None and column not in columns:
                    raise self.fail(f"fields.{key}", f"one of data.columns ({', '.join(columns)})", column)
        files = self.string_map(value.get("files"), "data.files")
        if not files:
            raise self.fail("data.files", "a mapping of split name to file path", value.get("files"))
        return DataSpec(format=fmt, files=files, encoding=encoding, header=header,
                        columns=tuple(columns) if columns else None)

    def hub(self, value: Any) -> HubSpec | None:
        value = self.mapping(value, "hub", required=False)
        if value is None:
            return None
        self.keys(value, ("path", "name", "revision", "splits", "fields", "labels"), "hub")
        labels = self.strings(value.get("labels"), "hub.labels", required=False)
        return HubSpec(
            path=self.string(value.get("path"), "hub.path"),
            name=self.string(value.get("name"), "hub.name", required=False),
            revision=self.string(value.get("revision"), "hub.revision", required=False),
            splits=self.string_map(value.get("splits"), "hub.splits"),
            fields=self.string_map(value.get("fields"), "hub.fields"),
            labels=tuple(labels) if labels else None,
        )

    def splits(self, value: Any, data: DataSpec | None, hub: HubSpec | None) -> dict[str, Any]:
        value = self.mapping(value, "splits")
        self.keys(value, ("train", "selection", "evaluation", "headline", "folds"), "splits")
        known = list(data.files) if data else []
        known += [s for s in (hub.splits if hub else {}) if s not in known]
        open_ended = hub is not None and not hub.splits  # the hub may hold any split name

        def split_name(item: Any, field: str) -> str:
            name = self.string(item, field)
            if name not in known and not open_ended:
                raise self.fail(field, f"a split listed in data.files or hub.splits ({', '.join(known)})", name)
            if name not in known:
                known.append(name)
            return name

        train = split_name(value.get("train"), "splits.train")
        evaluation = [split_name(s, f"splits.evaluation[{i}]")
                      for i, s in enumerate(self.strings(value.get("evaluation"), "splits.evaluation"))]
        headline = split_name(value.get("headline", evaluation[0]), "splits.headline")
        if headline not in evaluation:
            raise self.fail("splits.headline", f"one of splits.evaluation ({', '.join(evaluation)})", headline)
        selection = self.selection(value.get("selection"), split_name)
        if selection == headline or selection == train:
            raise self.fail("splits.selection", "a split other than the train and headline splits "
                            "(or a holdout from train)", selection)
        folds = []
        raw_folds = value.get("folds", [])
        if not isinstance(raw_folds, list):
            raise self.fail("splits.folds", "a list of {train: SPLIT, selection: SPLIT}", raw_folds)
        for i, fold in enumerate(raw_folds):
            fold = self.mapping(fold, f"splits.folds[{i}]")
            self.keys(fold, ("train", "selection"), f"splits.folds[{i}]")
            folds.append(Fold(split_name(fold.get("train"), f"splits.folds[{i}].train"),
                              split_name(fold.get("selection"), f"splits.folds[{i}].selection")))
        return dict(splits=known, train_split=train, selection=selection, eval_splits=evaluation,
                    headline_split=headline, folds=folds)

    def selection(self, value: Any, split_name: Any) -> str | Holdout:
        if isinstance(value, str):
            return split_name(value, "splits.selection")
        expected = "a split name or {holdout: MAX_EXAMPLES, fraction: 0.1, seed: N}"
        if not isinstance(value, dict) or "holdout" not in value:
            raise self.fail("splits.selection", expected, value)
        self.keys(value, ("holdout", "fraction", "seed"), "splits.selection")
        size = self.positive_int(value["holdout"], "splits.selection.holdout")
        fraction = value.get("fraction", 1.0)
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
            raise self.fail("splits.selection.fraction", "a number in (0, 1]", fraction)
        seed = value.get("seed", DEFAULT_HOLDOUT_SEED)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise self.fail("splits.selection.seed", "an integer", seed)
        return Holdout(max_examples=size, fraction=float(fraction), seed=seed)
