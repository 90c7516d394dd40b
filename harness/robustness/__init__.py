"""Robustness: scores on perturbed copies of the evaluation data, their drops and the worst case.

    variants = perturbed_splits("all", task, examples, train, seed)    # name -> perturbed examples
    report = robustness_report(task.kind, clean, {name: (examples, predictions), ...}, score)

The perturbations themselves live in harness.perturb; this package only decides which
apply to a task and how a model's predictions on them are summarised.
"""

from harness.robustness.evaluate import evaluate_robustness
from harness.robustness.report import robustness_report, worst_case_predictions
from harness.robustness.perturbed import check_perturb_spec, perturbed_splits, task_language

__all__ = ["check_perturb_spec", "evaluate_robustness", "perturbed_splits", "robustness_report", "task_language",
           "worst_case_predictions"]
