"""Inputs for the hot-path microbenchmarks: a model and real sentences when they are here.

HARNESS_BENCH_MODEL picks the model (a short name such as minilm, or a folder); without it
a tiny BERT is built from a config. Sentences come from SST-2's validation split when the
data folder is found (HARNESS_DATA_DIR, else ../shared/data), else from the tests' corpus.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from tiny_models import CORPUS, tiny_encoder  # noqa: E402

from harness.tasks import Example, load_split, load_task  # noqa: E402

EXAMPLES = 256


@pytest.fixture(scope="session")
def bench_model_path(tmp_path_factory) -> str:
    name = os.environ.get("HARNESS_BENCH_MODEL")
    if name:
        from harness.models.sources import resolve_model

        return resolve_model(name).path
    return str(tiny_encoder(tmp_path_factory.mktemp("bench-bert")))


@pytest.fixture(scope="session")
def bench_examples() -> list[Example]:
    data_dir = Path(os.environ.get("HARNESS_DATA_DIR") or REPO.parent / "shared" / "data")
    if data_dir.is_dir():
        return load_split(load_task("sst2"), "validation", data_dir)[:EXAMPLES]
    return [Example(id=str(i), text=CORPUS[i % len(CORPUS)], label=i % 2) for i in range(EXAMPLES)]
