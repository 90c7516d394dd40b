"""The stages of a fine-tuning run between its data and its evaluation: build model, apply method, train.

    ready = fine_tune(spec, task, data, source, run_id=..., store=..., device=None, show_progress=True)
    with ready.scoring() as predictor: ...        # the trained model (or its --variant) predicting

Random numbers are drawn in a fixed order (the head's initial weights, the method's, dropout,
batch order), so the same spec repeats exactly on CPU: keep the order of these calls. With
--init-seed the initial weights come from that seed and dropout and batch order from --seed.
"""

from __future__ import annotations

import tempfile
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from accelerate.utils import set_seed

from harness.artifact import model_bytes, save_trained, trained_state
from harness.distill.prepare import Distillation
from harness.encode import encode
from harness.errors import HarnessError
from harness.methods import Method, count_parameters, get_method
from harness.models.layers import keep_layers
from harness.models.load import LoadedModel, load_task_model
from harness.models.sources import ModelSource
from harness.pipeline.log import log
from harness.pipeline.ready import ReadyModel
from harness.pipeline.record import FineTunedFacts
from harness.predict import Predictions, evaluation_batch_size, predict
from harness.record.store import ResultStore
from harness.remedy.prepare import Remedies
from harness.scale import BackboneSettings
from harness.scoring import score_predictions
from harness.spec import RunSpec
from harness.tasks import TaskData, TaskDef, kinds
from harness.track import RunTracking
from harness.train.checkpoint import DEFAULT_CHECKPOINT_MINUTES, Checkpointer
from harness.train.loop import make_accelerator, planned_updates, train
from harness.variants import apply_variant


def fine_tune(spec: RunSpec, task: TaskDef, data: TaskData, source: ModelSource, *, run_id: str, store: ResultStore,
              device: str | None = None, show_progress: bool = True, save_model: bool = False, resume: bool = False,
              checkpoint_every: int = 0, checkpoint_minutes: float = DEFAULT_CHECKPOINT_MINUTES,
              data_dir: Path | None = None, teacher_results: Path | None = None,
              tracking: RunTracking | None = None) -> ReadyModel:
    # the teacher labels the training examples first: loading it draws random numbers, which the student's must not
    # depend on (nor on whether its outputs were cached)
    teachers = store if teacher_results is None else ResultStore(teacher_results)  # verify reruns elsewhere
    distillation = Distillation.prepare(spec, task, data, teachers, data_dir=data_dir, device=device,
                                        source=source) \
        if spec.distill else None
    remedies = Remedies.prepare(spec, task, data, data_dir)  # names and paraphrase ids checked before loading
    set_seed(spec.shared_seed)
    method = get_method(spec.method)
    loaded = build_model(spec, task, data, source, method)
    train_examples = distillation.training_examples(data.train) if distillation else data.train
    total_updates = planned_updates(len(train_examples), spec.training)
    whole_model_bytes = model_bytes(loaded.model)
    model = method.prepare(loaded.model, spec.method_options, total_updates)  # apply the method
    if spec.init_seed is not None:  # unset, the stream goes on as it always did: recorded runs repeat
        set_seed(spec.seed)
    trainable, total = count_parameters(model)
    # at least, in float32: a checkpoint (trained weights, two optimiser moments, the best epoch's weights) and
    # the saved model (the trained weights)
    store.check_room(4 * (4 + save_model) * trainable, "its checkpoints and saved model")
    if show_progress:
        _announce(spec, task, data, source, loaded, run_id, trainable, total)
    predictor = TaskPredictor(task, spec, loaded)
    train_features, selection_features = predictor.features(train_examples), predictor.features(data.selection)
    if distillation:
        distillation.attach(train_features, train_examples)
        distillation.bind(model, loaded.tokenizer)
    train_features = remedies.training_features(train_examples, train_features, predictor.features)
    adversary = remedies.adversary()
    if adversary is not None:
        adversary.attach(model)
    tracking = tracking or RunTracking([], {})
    accelerator = make_accelerator(device, spec.training["grad_accum"], log_with=tracking.log_with,
                                   project_dir=tracking.log_dir)
    tracking.start(accelerator)  # accelerate's init_trackers: the spec as hyper-parameters
    predictor.accelerator = accelerator
    checkpointer, resume = _checkpointing(store, task, run_id, accelerator, data, resume, checkpoint_every,
                                          checkpoint_minutes, show_progress)

    def select(net) -> float:  # the selection split's headline score after each epoch: higher is better
        predictions = predictor.predict(net, selection_features)
        return score_predictions(task, [task.headline], predictions.values, data.selection, n_boot=0).values[task.headline]

    result = train(model, train_features, kind=task.kind, pad_id=predictor.pad_id, config=spec.training,
                   seed=spec.seed, select=select, accelerator=accelerator, after_update=method.after_update,
                   show_progress=show_progress, checkpointer=checkpointer, resume=resume,
                   method_state=(method.training_state, method.load_training_state), adversary=adversary,
                   **({"objective": distillation.objective(task.kind, loaded.model.target_scale)} if distillation else {}))
    trained = accelerator.unwrap_model(model)
    if adversary is not None:
        adversary.detach()
    if distillation:
        distillation.unbind(trained)
    artifact, deploy_bytes = _save_weights(spec, task, run_id, store, trained, loaded, total_updates, accelerator,
                                           save_model)
    if spec.variant:  # what is evaluated (and timed) is the variant; the saved artifact stays the trained model
        trained = apply_variant(spec.variant, trained, accelerator.device, method=spec.method)
    facts = FineTunedFacts(loaded, trainable, total, whole_model_bytes, deploy_bytes, result, accelerator,
                           None if artifact is None else str(artifact.relative_to(store.root)),
                           distill=distillation.facts() if distillation else None, remedy=remedies.facts())
    return ReadyModel(scoring=lambda: nullcontext(predictor.bound(trained)), facts=facts, device=accelerator.device,
                      writes=accelerator.is_main_process,
                      finish=checkpointer.remove if checkpointer is not None else lambda: None)


def build_model(spec: RunSpec, task: TaskDef, data: TaskData, source: ModelSource, method: Method) -> LoadedModel:
    """The pretrained model with the head the task kind needs, checked to suit the method."""
    loaded = load_task_model(source.path, task.kind, task.num_labels, spec.pooling,
                             settings=BackboneSettings.of(spec))
    if spec.student_layers is not None:
        keep_layers(loaded.model.backbone, spec.student_layers)
    positions = getattr(loaded.model.config, "max_position_embeddings", None)
    if isinstance(positions, int) and spec.max_length > positions:  # a longer text would index past its positions
        raise HarnessError(f"--max-length {spec.max_length} is more than {spec.model} reads ({positions} positions); "
                           f"use --max-length {positions} or less")
    if task.kind == kinds.REGRESSION:
        loaded.model.set_target_scale([example.label for example in data.train])
    method.check(loaded.model, task.kind, spec.method_options)
    return loaded


class TaskPredictor:
    """Encodes examples with the run's tokenizer and predicts them with a task model, batched and length-sorted."""

    def __init__(self, task: TaskDef, spec: RunSpec, loaded: LoadedModel) -> None:
        self.task, self.spec, self.loaded = task, spec, loaded
        self.pad_id = loaded.tokenizer.pad_token_id
        self.accelerator = None  # set once training has made one: predictions are then shared across processes

    def features(self, examples):
        return encode(examples, self.loaded.tokenizer, self.task.kind, self.spec.max_length, self.loaded.is_decoder,
                      self.task.word_separator)

    def predict(self, net, features) -> Predictions:
        task, accelerator = self.task, self.accelerator
        return predict(net, features, kind=task.kind, pad_id=self.pad_id,
                       batch_size=evaluation_batch_size(self.spec.training), device=accelerator.device,
                       fallback_tag=task.labels.index("O") if "O" in task.labels else 0, accelerator=accelerator)

    def bound(self, net):
        """A harness.evaluation predictor: examples -> predictions of `net`."""
        return lambda examples, split, perturbed=False: self.predict(net, self.features(examples))


def _checkpointing(store: ResultStore, task: TaskDef, run_id: str, accelerator, data: TaskData, resume: bool,
                   every: int, minutes: float, show_progress: bool) -> tuple[Checkpointer | None, bool]:
    """The run's checkpointer (single-process runs only: a checkpoint holds one process's random state)
    and whether training resumes from it."""
    if accelerator.num_processes > 1:
        if resume:
            raise HarnessError("--resume works for single-process runs only; rerun without accelerate/torchrun to "
                               "resume")
        return None, False
    checkpointer = Checkpointer(store.checkpoint_path(task.name, run_id), every, minutes * 60,
                                data=data.info.get("file_sha256", {}))
    found = checkpointer.path.is_file()
    if found and not resume:
        log(f"[yellow]{checkpointer.path} holds an interrupted attempt of this run; starting over "
            "(pass --resume to continue it)[/]")
    elif resume and not found and show_progress:
        log("nothing to resume for this run: starting from the beginning")
    return checkpointer, resume and found


def _save_weights(spec: RunSpec, task: TaskDef, run_id: str, store: ResultStore, trained, loaded: LoadedModel,
                  total_updates: int, accelerator, save_model: bool) -> tuple[Path | None, int]:
    """Save what training changed (kept with --save-model, else only sized): (artifact folder or None, bytes)."""
    manifest: dict[str, Any] = {"run_id": run_id, "spec": {**spec.to_dict(), "pooling": loaded.model.pooling},
                                "task": task.name, "task_kind": task.kind, "num_labels": task.num_labels,
                                "labels": list(task.labels), "total_updates": total_updates}
    state = trained_state(trained)  # every process: weights sharded by FSDP are gathered whole
    artifact = store.model_path(task.name, run_id) if save_model else None
    if not accelerator.is_main_process:  # one writer; the other processes hold the same tensors
        return artifact, 0
    if artifact is not None:
        return artifact, save_trained(state, artifact, manifest)
    with tempfile.TemporaryDirectory() as scratch:
        return None, save_trained(state, Path(scratch), manifest)


def _announce(spec: RunSpec, task: TaskDef, data: TaskData, source: ModelSource, loaded: LoadedModel, run_id: str,
              trainable: int, total: int) -> None:
    sizes = ", ".join(f"{split} {len(examples)}" for split, examples in data.evaluation.items())
    log(f"[bold]{task.name}[/]: train {len(data.train)}, selection {len(data.selection)} "
        f"({data.info['selection']}), evaluation {sizes} · [bold]{spec.model}[/] ({source.origin}, "
        f"{'decoder' if loaded.is_decoder else 'encoder'}, {loaded.model.pooling} pooling) · "
        f"[bold]{spec.method}[/]: {trainable:,} of {total:,} parameters trainable · run {run_id}")
