"""Tasks: YAML definitions (builtin/<suite>/<name>.yaml, shipped inside the package) and the data they describe.

    task = load_task("sst2")                      # by name, alias or path to a YAML file
    data = prepare_data(task, data_dir, seed=1, train_limit=None, eval_limit=None)

The YAML format is documented in harness/tasks/builtin/README.md.
"""

from harness.tasks.example import Example
from harness.tasks.loaders import DATA_DIR_ENV, load_split
from harness.tasks.registry import (
    ENTRY_POINT_GROUP,
    TASKS_PATH_ENV,
    TaskInfo,
    TaskSource,
    list_tasks,
    load_task,
    task_search_path,
)
from harness.tasks.sampling import TaskData, prepare_data, unreported_selection
from harness.tasks.schema import TaskDef, metrics_for
from harness.tasks.specs import DataSpec, Fields, Fold, Holdout, HubSpec
from harness.tasks.validate import validate_task_file

__all__ = [
    "DATA_DIR_ENV",
    "ENTRY_POINT_GROUP",
    "TASKS_PATH_ENV",
    "DataSpec",
    "Example",
    "Fields",
    "Fold",
    "Holdout",
    "HubSpec",
    "TaskData",
    "TaskDef",
    "TaskInfo",
    "TaskSource",
    "list_tasks",
    "load_split",
    "load_task",
    "metrics_for",
    "prepare_data",
    "unreported_selection",
    "task_search_path",
    "validate_task_file",
]
