"""The README's "Extending the harness" examples run as written, and each extension works once registered."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from harness.board.view import parse_view
from harness.methods import METHODS, get_method
from harness.metrics import METRICS, evaluate
from harness.models.load import load_task_model
from harness.models.packaged import MODEL_ALIASES
from harness.perturb import get
from harness.perturb.registry import PERTURBATIONS
from harness.tasks import kinds
from harness.variants.base import VARIANTS

README = Path(__file__).resolve().parents[1] / "README.md"


def _section_blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Extending the harness\n"):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


@pytest.fixture(scope="module")
def examples():
    """Every Python example of the section run once; what they registered is removed afterwards."""
    namespace: dict = {}
    for block in _section_blocks("python"):
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - the README's own code
    yield namespace
    METHODS.unregister("norm-tuning")
    PERTURBATIONS.unregister("shout")
    VARIANTS.unregister("fp64")
    METRICS.unregister("error_rate")
    MODEL_ALIASES.unregister("my-bert")


def test_the_section_shows_every_extension_point():
    assert len(_section_blocks("python")) == 5 and _section_blocks("yaml") and _section_blocks("toml")
    section = README.read_text(encoding="utf-8").split("## Extending the harness", 1)[1]
    table = section.split("| to add |", 1)[1].split("\n\n", 1)[0]
    for point in ("a task", "a fine-tuning method", "a perturbation", "a compressed variant", "a metric",
                  "a leaderboard view", "a model source"):
        assert f"| {point}" in table


def test_the_method_trains_only_norms_and_the_head(examples, encoder_dir):
    method = get_method("norm-tuning")
    model = method.prepare(load_task_model(str(encoder_dir), kinds.TEXT_CLASSIFICATION, 2).model, {}, 10)
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable and all("norm" in name.lower() or name.startswith("head.") for name in trainable)
    assert any(name.startswith("head.") for name in trainable)


def test_the_perturbation_shouts_seeded_words(examples):
    shout = get("shout")(0.5)
    text = "the film is a charming journey"
    changed = shout.perturb(text, random.Random(1))
    assert changed != text and changed.lower() == text
    assert changed == shout.perturb(text, random.Random(1))


def test_the_variant_runs_the_model_in_float64(examples, encoder_dir):
    loaded = load_task_model(str(encoder_dir), kinds.TEXT_CLASSIFICATION, 2)
    model = VARIANTS.get("fp64").apply(loaded.model, "cpu")
    assert {parameter.dtype for parameter in model.parameters()} == {torch.float64}
    ids = loaded.tokenizer(["a charming film"], return_tensors="pt")
    assert torch.isfinite(model(**ids).logits).all()


def test_the_metric_is_one_minus_accuracy_with_an_interval(examples):
    predictions, references = [0, 1, 1, 0, 1, 1], [0, 1, 0, 0, 1, 0]
    report = evaluate(["error_rate", "accuracy"], predictions, references, n_boot=200)
    assert report.values["error_rate"] == pytest.approx(1 - report.values["accuracy"])
    low, high = report.intervals["error_rate"]
    assert low <= report.values["error_rate"] <= high


def test_the_view_parses(examples):
    (block,) = _section_blocks("yaml")
    view = parse_view(yaml.safe_load(block), "README example")
    assert view.name == "my-peft" and len(view.columns) == 3


def test_the_model_source_is_a_model_alias(examples):
    assert MODEL_ALIASES.get("my-bert").package == "my-bert-weights"
    assert np.all([name in MODEL_ALIASES for name in ("minilm", "my-bert")])
