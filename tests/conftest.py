from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch
from filelock import FileLock

sys.path.insert(0, str(Path(__file__).parent))

from tiny_models import tiny_decoder, tiny_encoder  # noqa: E402
from user_tasks import write_user_tasks  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _share_the_cores() -> None:
    """Under pytest-xdist (-n N) each worker, and every command it starts, takes its share of the cores:
    N workers with a thread per core each would fight over them."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        threads = max(1, cores // workers)
        os.environ["OMP_NUM_THREADS"] = str(threads)
        torch.set_num_threads(threads)


_share_the_cores()

# fixtures several test modules share, kept beside the tests that use them
pytest_plugins = ("distill_fixtures",)


def shared_data_dir() -> Path | None:
    """Real benchmark data: HARNESS_DATA_DIR, else ../shared/data beside the checkout."""
    candidate = Path(os.environ.get("HARNESS_DATA_DIR") or REPO.parent / "shared" / "data")
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    found = shared_data_dir()
    if found is None:
        pytest.skip("real benchmark data not found (set HARNESS_DATA_DIR)")
    return found


@pytest.fixture(scope="session")
def encoder_dir(tmp_path_factory) -> Path:
    return tiny_encoder(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def decoder_dir(tmp_path_factory) -> Path:
    return tiny_decoder(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def causal_lm_dir(tmp_path_factory) -> Path:
    return tiny_decoder(tmp_path_factory.mktemp("tiny-llama-lm"), causal_lm=True)


@pytest.fixture(scope="session")
def masked_lm_dir(tmp_path_factory) -> Path:
    return tiny_encoder(tmp_path_factory.mktemp("tiny-bert-mlm"), masked_lm=True)


@pytest.fixture()
def env(tmp_path, monkeypatch) -> Path:
    """A temporary folder whose my_tasks/ holds the tests' own tasks, found through HARNESS_TASKS_PATH."""
    monkeypatch.setenv("HARNESS_TASKS_PATH", str(write_user_tasks(tmp_path / "my_tasks")))
    monkeypatch.delenv("HARNESS_DATA_DIR", raising=False)
    return tmp_path


@pytest.fixture(autouse=True)
def fresh_accelerator_state():
    """accelerate keeps one device and precision per process: on a machine with a GPU, a test that trains on
    CPU must not decide the device of the tests after it (CPU-only machines never switch, so nothing to do)."""
    yield
    if torch.cuda.is_available():
        from accelerate.state import AcceleratorState

        AcceleratorState._reset_state(reset_partial_state=True)


@pytest.fixture()
def one_launch_at_a_time(tmp_path_factory):
    """Multi-process launches (torchrun, accelerate launch) rendezvous on torch's default port: under pytest-xdist
    the workers take turns (the lock file sits in the folder every worker's temporary folder shares)."""
    with FileLock(str(tmp_path_factory.getbasetemp().parent / "multi-process-launch.lock")):
        yield
