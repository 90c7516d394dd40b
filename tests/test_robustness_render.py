"""`harness run` and `harness robustness --show` print a drop the same way: clean - perturbed, signed."""

from __future__ import annotations

from rich.console import Console
from test_leaderboard_records import robustness_section, run_record

from harness.cli.render import robustness_comparison, robustness_table


def _text(table) -> str:
    console = Console(width=200, record=True)
    console.print(table)
    return console.export_text()


def test_run_and_show_print_one_signed_drop_under_one_header():
    record = run_record("sst2", 0.9)
    record["robustness"] = {"validation": robustness_section(0.9, {"keyboard_typos": 0.0459, "uppercase": -0.01},
                                                             worst_drop=0.0459)}
    for text in (_text(robustness_table(record)), _text(robustness_comparison([record]))):
        assert "drop (clean - perturbed)" in text and "drop from clean" not in text
        assert "+0.0459" in text and "-0.0459" not in text  # a loss is positive in both
        assert "-0.0100" in text  # a gain is negative in both
