"""Every number an option takes has a declared range (harness/ranges.py), and one declaration checks it
wherever the value comes from: a flag, a sweep file or the Python API."""

from __future__ import annotations

import math

import click
import pytest

from harness.cli.main import _register, cli, main
from harness.cli.range_type import RangeType
from harness.errors import HarnessError
from harness.methods import all_methods, get_method
from harness.ranges import SEED, Range
from harness.spec import RANGES, TRAINING_DEFAULTS
from harness.sweep import parse_seeds


def _commands(group: click.Group, prefix: str = "harness"):
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from _commands(command, path)
        else:
            yield path, command


def test_every_numeric_flag_of_every_command_has_a_declared_range():
    _register()
    unranged = [f"{path} {max(param.opts, key=len)}" for path, command in _commands(cli)
                for param in command.params
                if isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType))]
    assert not unranged, f"numeric flags without a declared range (use harness.cli.range_type.ranged): {unranged}"
    ranged = [param for _, command in _commands(cli) for param in command.params if isinstance(param.type, RangeType)]
    assert len(ranged) > 40  # the run settings, method options, statistics and profiling flags
    for param in ranged:
        if isinstance(param.default, (int, float)):
            assert param.type.declared.contains(param.default), f"{param.opts}: default {param.default} out of range"


def test_every_numeric_method_option_declares_a_range_holding_its_default():
    for method in all_methods().values():
        for option in method.options:
            if option.type in (int, float):
                assert option.range is not None, f"--{method.name}-{option.name} has no declared range"
                assert option.range.kind is option.type
                assert option.range.contains(option.default), f"--{method.name}-{option.name} default out of range"


def test_every_run_setting_default_lies_within_its_range():
    for name, value in TRAINING_DEFAULTS.items():
        if name in RANGES:
            assert RANGES[name].contains(value), name


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "nan", "inf", True, None, "", "1e", [1]])
def test_a_range_refuses_non_finite_numbers_booleans_and_non_numbers(value):
    with pytest.raises(HarnessError, match="--x .*: expected a number"):
        Range(float).check("--x", value)


def test_a_range_reads_numbers_from_yaml_strings_and_keeps_its_kind():
    assert Range(float, 0, 1).check("--lr", "1e-3") == 0.001
    assert Range(int, 1, 10).check("--n", "7") == 7 and Range(int, 1, 10).check("--n", 7.0) == 7
    with pytest.raises(HarnessError, match="a whole number"):
        Range(int, 1, 10).check("--n", 2.5)
    with pytest.raises(HarnessError, match="--n 0: expected a whole number from 1 to 10"):
        Range(int, 1, 10).check("--n", 0)
    assert Range(float, 0, 1, low_open=True).interval() == "(0, 1]"
    assert SEED.contains(2**32 - 1) and not SEED.contains(2**32) and not SEED.contains(-1)


def test_one_declaration_gives_one_message_for_a_flag_a_sweep_file_and_the_api(capsys):
    assert main(["run", "--task", "sst2", "--method", "lora", "--lora-dropout", "1.5"]) == 2
    from_flag = capsys.readouterr().err.strip().removeprefix("error: ")
    with pytest.raises(HarnessError) as from_api:
        get_method("lora").resolve_options({"dropout": 1.5})
    assert str(from_api.value) == from_flag == ("--lora-dropout 1.5: expected a number at least 0 and below 1 "
                                                "(a dropout probability, such as 0.1)")
    assert main(["sweep", "--tasks", "sst2", "--methods", "lora", "--seeds", "4294967296", "--dry-run"]) == 2
    assert "expected a whole number from 1 to 1000" in capsys.readouterr().err
    with pytest.raises(HarnessError, match=r"--seeds item -1: expected a whole number from 0 to 4294967295"):
        parse_seeds([0, -1])
