"""How the CLI shows a run's result.

Drops everywhere: clean minus perturbed (or attacked), printed with its sign, so +0.0459 is a loss
and -0.0100 a gain: the convention of the records (harness.robustness.report) and of every header.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.cli.render_attack import attack_table
from harness.cli.render_spread import spread_line, spread_table
from harness.majority import recorded_majority
from harness.remedy.settings import describe

DROP_HEADER = "drop (clean - perturbed)"  # positive: worse than clean


def print_run_summary(record: dict, path: Path, skipped: bool) -> None:
    console = Console()
    spec = record["spec"]
    title = f"{spec['task']} · {spec['model']} · {spec['method']} · seed {spec['seed']}"
    table = Table(title=title, title_justify="left")
    for column in ("split", "metric", "value", "95% interval", "n"):
        table.add_column(column, justify="right" if column in ("value", "n") else "left")
    for split, report in record["metrics"].items():
        for metric, value in report["values"].items():
            low, high = report["intervals"].get(metric) or (float("nan"), float("nan"))
            star = " *" if (split, metric) == (record["headline"]["split"], record["headline"]["metric"]) else ""
            table.add_row(split, metric + star, f"{value:.4f}", f"[{low:.4f}, {high:.4f}]", str(report.get("n", "")))
    console.print(table)
    if "prompting" in record:
        _print_prompting(console, record)
        if record.get("prompt_spread"):
            console.print(f"over prompts (mean ± spread): {spread_line(record)}")
            console.print(spread_table(record))
    else:
        _print_training(console, record)
        majority = _majority_line(record)
        if majority:
            console.print(majority, highlight=False)
    if record.get("distill"):
        _print_distill(console, record)
    if record.get("remedy"):
        _print_remedy(console, record)
    if record.get("robustness"):
        console.print(robustness_table(record))
    if record.get("attack"):
        console.print(attack_table(record))
    console.print(("already recorded (pass --force to run again): " if skipped else "recorded: ") + str(path))


def _print_distill(console: Console, record: dict) -> None:
    """'taught by d1da42b8 (full, minilm): teacher 0.8555, kept 97.8% · 28,000 examples, 20,000 unlabeled ...'"""
    section, headline = record["distill"], record["headline"]
    teacher = section["teacher_headline"]
    retention = section.get("headline_retention")
    kept = "" if retention is None else f", kept {retention:.1%}"
    outputs = section["teacher_outputs"]
    console.print(f"taught by {section['teacher']} ({section['teacher_kind']}: {section['teacher_model']} · "
                  f"{section['teacher_method']}): teacher {teacher['metric']} {teacher['value']:.4f} on "
                  f"{teacher['split']}, student {headline['value']:.4f}{kept} · alpha {section['alpha']:g}"
                  + (f", T {section['temperature']:g}" if "temperature" in section else "")
                  + f" · {section['unlabeled_examples']:,} unlabeled examples · teacher outputs: "
                  f"{outputs['computed']:,} computed in {outputs['seconds']:.1f}s, {outputs['cached']:,} from its cache",
                  highlight=False)


def _print_remedy(console: Console, record: dict) -> None:
    """'remedy: augment typos · 2,000 of 4,000 training slots perturbed in the last epoch · 0.412 s per step'"""
    section = record["remedy"]
    augment = section.get("augment") or {}
    drawn = (f" · {augment['perturbed_last_epoch']:,} of {augment['slots_per_epoch']:,} training slots perturbed in "
             "the last epoch" if "slots_per_epoch" in augment else "")
    console.print(f"remedy: {describe(section)}{drawn} · {section['seconds_per_step']:.3f} s per training step",
                  highlight=False)


def robustness_table(record: dict) -> Table:
    """Clean score, each perturbation's score, drop and changed share, and the worst case (headline split)."""
    split, metric = record["headline"]["split"], record["headline"]["metric"]
    report = record["robustness"][split]
    spec = record["spec"]
    table = Table(title=f"robustness · {spec['task']} · {spec['model']} · {spec['method']} · {split} {metric}",
                  title_justify="left")
    for column in ("perturbation", "severity", metric, DROP_HEADER, "changed"):
        table.add_column(column, justify="left" if column == "perturbation" else "right")
    table.add_row("clean", "", f"{report['clean'][metric]:.4f}", "", "")
    seen = set((report.get("seen") or {}).get("perturbations") or ())
    for name, result in report["perturbations"].items():
        severity = "" if result["severity"] is None else f"{result['severity']:g}"
        table.add_row(name + (" (trained on)" if name in seen else ""), severity, f"{result['metrics'][metric]:.4f}", f"{result['drop'][metric]:+.4f}",
                      f"{100 * result['changed_share']:.1f}%")
    table.add_row("[bold]worst case[/]", "", f"[bold]{report['worst_case'][metric]:.4f}[/]",
                  f"{report['worst_case_drop'][metric]:+.4f}", "")
    for group in ("unseen", "seen"):  # augmented runs: noise trained on says little about robustness
        if group in report:
            table.add_row(f"[bold]worst case, {group}[/]", "", f"[bold]{report[group]['worst_case'][metric]:.4f}[/]",
                          f"{report[group]['worst_case_drop'][metric]:+.4f}", "")
    return table


def robustness_comparison(records: list[dict]) -> Table:
    """Several runs of one task side by side: clean, each perturbation (score and drop), worst case."""
    first = records[0]
    split, metric = first["headline"]["split"], first["headline"]["metric"]
    table = Table(title=f"robustness · {first['spec']['task']} · {split} {metric} (score, {DROP_HEADER})",
                  title_justify="left")
    table.add_column("perturbation")
    reports = []
    for record in records:
        spec = record["spec"]
        remedy = f" · {describe(spec['remedy'])}" if spec.get("remedy") else ""
        table.add_column(f"{spec['model']} · {spec['method']} · seed {spec['seed']}{remedy}", justify="right")
        reports.append(record["robustness"][split])
    names = list(dict.fromkeys(name for report in reports for name in report["perturbations"]))
    table.add_row("clean", *(f"{r['clean'][metric]:.4f}" for r in reports))
    for name in names:
        cells = []
        for report in reports:
            result = report["perturbations"].get(name)
            cells.append("–" if result is None
                         else f"{result['metrics'][metric]:.4f} ({result['drop'][metric]:+.4f})")
        table.add_row(name, *cells)
    table.add_row("[bold]worst case[/]", *(f"[bold]{r['worst_case'][metric]:.4f}[/] "
                                          f"({r['worst_case_drop'][metric]:+.4f})" for r in reports))
    for group in ("unseen", "seen"):  # augmented runs: held-out noise and noise trained on, apart
        if any(group in r for r in reports):
            table.add_row(f"[bold]worst case, {group}[/]", *(
                "–" if group not in r else f"[bold]{r[group]['worst_case'][metric]:.4f}[/] "
                f"({r[group]['worst_case_drop'][metric]:+.4f})" for r in reports))
    attacks = [(record.get("attack") or {}).get(split) for record in records]
    if any(attacks):  # searched edits beside random noise
        names = list(dict.fromkeys(name for report in attacks if report for name in report["attacks"]))
        for name in names:
            table.add_row(f"attack {name}", *("–" if not a or name not in a["attacks"] else
                                              f"{a['attacks'][name]['metrics']['values'][metric]:.4f} "
                                              f"({a['attacks'][name]['drop'][metric]:+.4f})" for a in attacks))
        table.add_row("[bold]under attack (worst)[/]", *("–" if not a else
                                                        f"[bold]{a['worst_case']['metrics']['values'][metric]:.4f}[/] "
                                                        f"({a['worst_case']['drop'][metric]:+.4f})" for a in attacks))
    return table


def _print_prompting(console: Console, record: dict) -> None:
    prompting, headline = record["prompting"], record["headline"]
    split = prompting["splits"][headline["split"]]
    majority = prompting["majority_class"]["metrics"][headline["split"]]["values"][headline["metric"]]
    other = ", ".join(f"{scoring} {values[headline['metric']]:.4f}"
                      for scoring, values in split["uncalibrated_metrics"].items())
    console.print(
        f"prompt '{prompting['prompt_name']}' ({prompting['prompt_hash']}) · {prompting['scorer']} scoring, "
        f"headline {prompting['headline_scoring']}{' calibrated' if prompting['calibrated'] else ''} · "
        f"{prompting['k']} demonstrations · uncalibrated {headline['metric']}: {other}")
    console.print(
        f"majority class ({prompting['majority_class']['label']}) {headline['metric']} {majority:.4f} · "
        f"ECE {split['expected_calibration_error']:.4f} · {split['examples_per_second']:.1f} ex/s, "
        f"{split['tokens_per_second']:.0f} tokens/s")


def _majority_line(record: dict) -> str | None:
    """'majority class (1) accuracy 0.5092 on validation (the training examples' most frequent label)'."""
    majority, headline = recorded_majority(record), record["headline"]
    value = ((majority.get("metrics") or {}).get(headline["split"]) or {}).get("values", {}).get(headline["metric"])
    if value is None:
        return None
    return (f"majority class ({majority['label']}) {headline['metric']} {value:.4f} on {headline['split']} "
            "(always the training examples' most frequent label)")


def _print_training(console: Console, record: dict) -> None:
    training, model = record["training"], record["model"]
    console.print(
        f"trainable {model['trainable_parameters']:,} of {model['parameters']:,} parameters "
        f"({100 * (model['trainable_share'] or 0):.2f}%) · best epoch {training['best_epoch']}/{training['epochs_run']}"
        f" · train {training['train_seconds']:.1f}s at {training['train_examples_per_second']:.1f} ex/s"
        f" · peak memory {training['peak_memory_mb']:.0f} MB ({training['memory_kind']}, "
        f"{training.get('memory_before_training_mb', float('nan')):.0f} MB before training)")
