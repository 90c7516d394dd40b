"""One run, stage by stage: spec -> task data -> model -> method -> train (or prompt) -> evaluate -> record.

    from harness.pipeline import plan, execute
    spec, task = plan("minilm", "lora", "sst2", seed=1, train_limit=2000)
    outcome = execute(spec, task, output="results", data_dir="../shared/data")

execute.py reads as the list of stages; fine_tune.py and prompted.py build what is evaluated;
harness/evaluation.py scores it; record.py is the one place a record's shape is written.
"""

from harness.pipeline.execute import RunOutcome, execute, plan

__all__ = ["RunOutcome", "execute", "plan"]
