"""Experiment trackers (issue 26): a run logged to TensorBoard, MLflow and W&B (offline), each read back with its
own reader; the record is the same with and without them; a prompted run logs too."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.track.kinds import TRACKERS

TASK = "tiny-sentiment"
pytestmark = pytest.mark.skipif(
    not all(__import__("importlib").util.find_spec(kind.module) for kind in TRACKERS.values()),
    reason="the tracker extras are not installed: pip install 'harness[trackers]'")


@pytest.fixture()
def offline(env, monkeypatch) -> Path:
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    monkeypatch.delenv("WANDB_PROJECT", raising=False)
    monkeypatch.chdir(env)
    return env


def _run(encoder_dir: Path, results: str, *extra: str) -> dict:
    argv = ["run", "--model", str(encoder_dir), "--task", TASK, "--epochs", "2", "--batch-size", "8", "--quiet",
            "--perturb", "char_delete", "--json", "--results", results, *extra]
    assert main(argv) == 0
    (path,) = (Path(results) / TASK).glob("*.json")
    return json.loads(path.read_text())


@pytest.fixture()
def logged(offline, encoder_dir, capsys) -> tuple[dict, Path]:
    """One fine-tuned run logged to all three trackers."""
    record = _run(encoder_dir, "results", "--log-with", "tensorboard,mlflow", "--log-with", "wandb",
                  "--log-dir", "logs")
    capsys.readouterr()
    return record, offline / "logs"


def test_tensorboard_events_read_back(logged):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    record, logs = logged
    run_dir = logs / "tensorboard" / f"{TASK}-{record['run_id']}"
    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0}).Reload()
    tags = events.Tags()
    loss = events.Scalars("train/loss")
    assert [e.step for e in loss] == list(range(1, record["training"]["steps"] + 1))
    assert [e.step for e in events.Scalars("train/lr")] == [e.step for e in loss]
    assert len(events.Scalars("selection/score")) == record["training"]["epochs_run"]
    for split, entry in record["metrics"].items():
        for metric, value in entry["values"].items():
            (final,) = events.Scalars(f"final/{split}/{metric}")
            assert final.value == pytest.approx(value)
            low, high = entry["intervals"][metric]
            assert events.Scalars(f"final/{split}/{metric}_low")[0].value == pytest.approx(low)
            assert events.Scalars(f"final/{split}/{metric}_high")[0].value == pytest.approx(high)
    assert "record/text_summary" in tags["tensors"]  # the record as a text summary ...
    assert json.loads((run_dir / f"{record['run_id']}.json").read_text())["run_id"] == record["run_id"]  # ... and file


def test_mlflow_run_read_back(logged, monkeypatch):
    from mlflow.tracking import MlflowClient

    record, logs = logged
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient(tracking_uri=(logs / "mlruns").resolve().as_uri())
    (experiment,) = [e for e in client.search_experiments() if e.name == "harness"]
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.tags["run_id"] == record["run_id"]
    assert run.data.params["run_id"] == record["run_id"]
    assert float(run.data.params["training.lr"]) == record["spec"]["training"]["lr"]
    assert run.data.params["model"] == record["spec"]["model"]
    split, metric = record["headline"]["split"], record["headline"]["metric"]
    assert run.data.metrics[f"final/{split}/{metric}"] == pytest.approx(record["headline"]["value"])
    assert run.data.metrics[f"final/{split}/{metric}_low"] == pytest.approx(record["headline"]["interval"][0])
    assert run.data.metrics[f"final/{split}/{metric}_high"] == pytest.approx(record["headline"]["interval"][1])
    robust = record["robustness"][split]["perturbations"]["char_delete"]
    assert run.data.metrics[f"robustness/{split}/perturbations/char_delete/metrics/{metric}"] == \
        pytest.approx(robust["metrics"][metric])
    assert run.data.metrics[f"robustness/{split}/perturbations/char_delete/drop/{metric}"] == \
        pytest.approx(robust["drop"][metric])
    history = client.get_metric_history(run.info.run_id, "train/loss")
    assert len(history) == record["training"]["steps"]
    (artifact,) = client.list_artifacts(run.info.run_id)
    local = client.download_artifacts(run.info.run_id, artifact.path)
    assert json.loads(Path(local).read_text())["metrics"] == record["metrics"]


def _wandb_records(path: Path):
    """The records of a W&B transaction log (.wandb): a 7-byte header, then LevelDB-log blocks of 32 KiB whose
    chunks (crc32, length, type) carry serialized `Record` protobufs (type 1 whole, 2/3/4 first/middle/last)."""
    from wandb.proto import wandb_internal_pb2

    data, block, position, pending = path.read_bytes(), 32768, 7, b""
    assert data[:4] == b":W&B"
    while position + 7 <= len(data):
        if block - position % block < 7:  # a block's tail too short for a header is padding
            position += block - position % block
            continue
        _, length, kind = struct.unpack("<IHB", data[position:position + 7])
        chunk = data[position + 7:position + 7 + length]
        position += 7 + length
        if kind == 0 and length == 0:
            break
        pending = chunk if kind in (1, 2) else pending + chunk
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            yield record


def test_wandb_offline_run_has_the_keys(logged):
    record, logs = logged
    (run_dir,) = (logs / "wandb").glob("offline-run-*")
    (log_file,) = run_dir.glob("run-*.wandb")
    config, history, artifacts = set(), set(), []
    for entry in _wandb_records(log_file):
        kind = entry.WhichOneof("record_type")
        if kind == "config":
            config |= {item.key for item in entry.config.update}
        elif kind == "history":
            history |= {item.key or "/".join(item.nested_key) for item in entry.history.item}
        elif kind == "artifact":
            artifacts.append(entry.artifact)
    assert {"run_id", "model", "method", "training.lr", "training.epochs"} <= config
    split, metric = record["headline"]["split"], record["headline"]["metric"]
    assert {"train/loss", "train/lr", "selection/score", f"final/{split}/{metric}", f"final/{split}/{metric}_low",
            f"final/{split}/{metric}_high"} <= history
    (artifact,) = artifacts
    assert artifact.name == f"record-{record['run_id']}" and artifact.type == "run-record"
    assert [entry.path for entry in artifact.manifest.contents] == [f"{record['run_id']}.json"]


def test_record_is_the_same_without_trackers(logged, encoder_dir):
    record, _ = logged
    plain = _run(encoder_dir, "plain")
    assert plain["run_id"] == record["run_id"]
    assert plain["metrics"] == record["metrics"]
    assert plain["training"]["history"][0]["train_loss"] == record["training"]["history"][0]["train_loss"]
    assert plain["spec"] == record["spec"]


def test_prompted_run_logs_spec_final_metrics_and_spread(offline, masked_lm_dir, capsys):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    assert main(["run", "--model", str(masked_lm_dir), "--task", TASK, "--method", "zero-shot", "--prompts", "all",
                 "--quiet", "--results", "results", "--log-with", "tensorboard", "--log-dir", "logs"]) == 0
    capsys.readouterr()
    (path,) = (offline / "results" / TASK).glob("*.json")
    record = json.loads(path.read_text())
    run_dir = offline / "logs" / "tensorboard" / f"{TASK}-{record['run_id']}"
    events = EventAccumulator(str(run_dir)).Reload()
    split, metric = record["headline"]["split"], record["headline"]["metric"]
    assert events.Scalars(f"final/{split}/{metric}")[0].value == pytest.approx(record["headline"]["value"])
    spread = record["prompt_spread"]["splits"][split][metric]
    assert spread["variants"] == 2  # the task's two prompts
    for name in ("mean", "std", "spread"):
        assert events.Scalars(f"prompt_spread/{split}/{metric}/{name}")[0].value == pytest.approx(spread[name])
    assert events.Scalars(f"prompt_spread/{split}/{metric}/interval_low")[0].value == \
        pytest.approx(spread["interval"][0])
    assert "train/loss" not in events.Tags()["scalars"]  # nothing trained
    assert list(run_dir.glob("*/hparams.yml"))  # the spec, as accelerate stores hyper-parameters


def test_sweep_passes_trackers_to_every_run(offline, encoder_dir, capsys):
    """Each run of a sweep (in its own spawned process) logs as a tracker run of its own."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    assert main(["sweep", "--models", str(encoder_dir), "--tasks", TASK, "--methods", "full,bitfit", "--epochs", "1",
                 "--quiet", "--results", "results", "--log-with", "tensorboard", "--log-dir", "logs"]) == 0
    capsys.readouterr()
    records = [json.loads(path.read_text()) for path in (offline / "results" / TASK).glob("*.json")]
    assert len(records) == 2
    for record in records:
        run_dir = offline / "logs" / "tensorboard" / f"{TASK}-{record['run_id']}"
        events = EventAccumulator(str(run_dir)).Reload()
        assert len(events.Scalars("train/loss")) == record["training"]["steps"]
    assert main(["results", "check", "--results", "results"]) == 0  # trackers left nothing unknown in results/


def test_wandb_goes_offline_on_an_offline_machine(monkeypatch):
    """WANDB_MODE wins when set; unset, HF_HUB_OFFLINE=1 means offline rather than waiting for a server."""
    from harness.track.build import wandb_mode

    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert wandb_mode() == "offline"
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    assert wandb_mode() is None  # wandb's own default
    monkeypatch.setenv("WANDB_MODE", "online")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert wandb_mode() is None  # wandb reads WANDB_MODE itself


def test_compare_logs_its_runs_and_its_report(offline, encoder_dir, monkeypatch, capsys):
    """compare's runs log like any run; its markdown report and Pareto plot go to a tracker run of their own."""
    from mlflow.tracking import MlflowClient

    assert main(["compare", "--models", str(encoder_dir), "--tasks", TASK, "--methods", "full,bitfit", "--seeds", "2",
                 "--epochs", "1", "--n-boot", "100", "--in-process", "--quiet", "--results", "results",
                 "--log-with", "mlflow", "--log-dir", "logs"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient(tracking_uri=(offline / "logs" / "mlruns").resolve().as_uri())
    (experiment,) = [e for e in client.search_experiments() if e.name == "harness"]
    runs = client.search_runs([experiment.experiment_id])
    names = sorted(run.info.run_name for run in runs)
    (report,) = [run for run in runs if run.info.run_name.startswith("compare-")]
    assert len(names) == 5  # four runs (two methods x two seeds) and the comparison
    assert sorted(a.path.rsplit(".", 1)[1] for a in client.list_artifacts(report.info.run_id)) == ["md", "png"]
    assert report.data.params["reference"] == "full"


@pytest.mark.usefixtures("one_launch_at_a_time")
def test_only_the_main_process_logs_under_ddp(offline, encoder_dir, monkeypatch):
    """Two torchrun processes train with DDP: one tracker run, one event file, each step logged once."""
    import os
    import subprocess
    import sys

    from mlflow.tracking import MlflowClient
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "harness", "run",
               "--model", str(encoder_dir), "--task", TASK, "--epochs", "1", "--batch-size", "4", "--quiet",
               "--results", "results", "--log-with", "tensorboard,mlflow", "--log-dir", "logs"]
    child_env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1",
                 "MASTER_PORT": str(29900 + os.getpid() % 90)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=child_env, cwd=offline)
    assert done.returncode == 0, done.stderr[-2000:]
    (path,) = (offline / "results" / TASK).glob("*.json")
    record = json.loads(path.read_text())
    assert record["training"]["processes"] == 2
    (run_dir,) = (offline / "logs" / "tensorboard").iterdir()
    assert len(list(run_dir.glob("events.out.tfevents.*"))) == 1
    loss = EventAccumulator(str(run_dir)).Reload().Scalars("train/loss")
    assert [e.step for e in loss] == list(range(1, record["training"]["steps"] + 1))
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient(tracking_uri=(offline / "logs" / "mlruns").resolve().as_uri())
    (experiment,) = [e for e in client.search_experiments() if e.name == "harness"]
    assert len(client.search_runs([experiment.experiment_id])) == 1


def test_a_tracker_that_cannot_start_is_one_line_before_training(offline, encoder_dir, monkeypatch, capsys):
    """W&B online without an account (here: wandb.init refusing) ends the run with one line, nothing recorded."""
    import wandb

    def refuse(*args, **kwargs):
        raise wandb.errors.UsageError("api_key not configured (no-tty). call wandb.login(key=[your_api_key])")
    monkeypatch.setattr(wandb, "init", refuse)
    code = main(["run", "--model", str(encoder_dir), "--task", TASK, "--epochs", "1", "--quiet", "--results",
                 "results", "--log-with", "wandb", "--log-dir", "logs"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "Traceback" not in err[0]
    assert "api_key not configured" in err[0] and "WANDB_MODE=offline" in err[0]
    assert not list((offline / "results").rglob("*.json"))
