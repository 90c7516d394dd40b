"""Format variants of prompts on fixed text, their draw, label synonyms, and spread summaries on constructed scores."""

from __future__ import annotations

import math

import pytest
import yaml
from user_tasks import SENTIMENT

from harness.errors import HarnessError
from harness.prompt_spread.axes import (
    AnswerCue,
    Casing,
    LabelWords,
    Punctuation,
    Separator,
    Spacing,
)
from harness.prompt_spread.formats import AS_WRITTEN, Axis, Format
from harness.prompt_spread.registry import FORMAT_AXES, apply_format, draw_formats
from harness.prompt_spread.summary import spread_stats
from harness.prompt_spread.variants import demonstration_draws
from harness.tasks import Example, load_task, validate_task_file
from harness.tasks.prompts import Prompt

ENGLISH = Prompt(name="p", template="{{text}}\nQuestion: Is it good?\nAnswer:", choices=("no", "yes"),
                 target_delimiter=" ", demo_separator="\n\n", instruction="", headline_scoring="sum",
                 descriptions=("no", "yes"), synonyms=(("nope", "nah"), ("yep", "yeah")))
PAIR = Prompt(name="pair", template="Sentence 1: {{text}}\nSentence 2: {{text_pair}}\nAnswer:", choices=("a", "b"),
              target_delimiter=" ", demo_separator="\n\n", instruction="", headline_scoring="sum",
              descriptions=("a", "b"))
CHINESE = Prompt(name="zh", template="评论：{{text}}\n问题：好评还是差评？\n答案：", choices=("差评", "好评"),
                 target_delimiter="", demo_separator="\n\n", instruction="", headline_scoring="sum",
                 descriptions=("差评", "好评"))


@pytest.mark.parametrize("axis, option, prompt, expected", [
    (Separator(), "space", ENGLISH, "{{text}} Question: Is it good? Answer:"),
    (Separator(), "bar", ENGLISH, "{{text}} || Question: Is it good? || Answer:"),
    (Separator(), "double-newline", ENGLISH, "{{text}}\n\nQuestion: Is it good?\n\nAnswer:"),
    (AnswerCue(), "a", ENGLISH, "{{text}}\nQuestion: Is it good?\nA:"),
    (AnswerCue(), "output", ENGLISH, "{{text}}\nQuestion: Is it good?\nOutput:"),
    (Punctuation(), "dash", ENGLISH, "{{text}}\nQuestion - Is it good?\nAnswer -"),
    (Punctuation(), "equals", PAIR, "Sentence 1 = {{text}}\nSentence 2 = {{text_pair}}\nAnswer ="),
    (Spacing(), "tight", PAIR, "Sentence 1:{{text}}\nSentence 2:{{text_pair}}\nAnswer:"),
    (Spacing(), "newline", ENGLISH, "{{text}}\nQuestion:\nIs it good?\nAnswer:"),
    (Casing(), "upper", PAIR, "SENTENCE 1: {{text}}\nSENTENCE 2: {{text_pair}}\nANSWER:"),
    (Casing(), "lower", ENGLISH, "{{text}}\nquestion: Is it good?\nanswer:"),
    (AnswerCue(), "reply", CHINESE, "评论：{{text}}\n问题：好评还是差评？\n回答："),
    (Punctuation(), "ascii", CHINESE, "评论:{{text}}\n问题:好评还是差评？\n答案:"),
    (Spacing(), "spaced", CHINESE, "评论： {{text}}\n问题： 好评还是差评？\n答案："),
])
def test_each_axis_changes_only_the_text_around_the_fields(axis, option, prompt, expected):
    assert option in axis.options(prompt)
    changed = axis.apply(prompt, option)
    assert changed.template == expected
    assert changed.variables == prompt.variables  # every field kept
    assert axis.apply(prompt, option) == changed  # deterministic
    assert changed.choices == prompt.choices


def test_label_words_use_the_jth_synonym_of_every_label():
    assert LabelWords().options(ENGLISH) == ("synonyms-1", "synonyms-2")
    assert LabelWords().apply(ENGLISH, "synonyms-2").choices == ("nah", "yeah")
    assert LabelWords().options(PAIR) == ()  # no synonyms, no label-word formats


def test_axes_apply_only_where_the_prompt_has_what_they_change():
    bare = Prompt(name="bare", template="{{text}} It was", choices=("bad", "good"), target_delimiter=" ",
                  demo_separator="\n\n", instruction="", headline_scoring="sum", descriptions=("bad", "good"))
    assert all(not axis.options(bare) for axis in FORMAT_AXES.all().values())
    assert Casing().options(CHINESE) == ()  # Chinese field names have no case
    with pytest.raises(HarnessError, match="has only 1 distinct formats"):
        draw_formats(bare, 2, seed=0)


def test_formats_are_named_drawn_with_the_seed_and_all_distinct():
    first = draw_formats(ENGLISH, 12, seed=0)
    assert first[0].name == AS_WRITTEN and apply_format(first[0], ENGLISH) == ENGLISH
    assert [f.name for f in first] == [f.name for f in draw_formats(ENGLISH, 12, seed=0)]
    assert [f.name for f in first] != [f.name for f in draw_formats(ENGLISH, 12, seed=1)]
    rendered = [apply_format(f, ENGLISH) for f in first]
    assert len({(p.template, p.choices) for p in rendered}) == 12
    for form in first[1:]:
        assert "=" in form.name and all(axis in FORMAT_AXES for axis, _ in form.choices)
        assert apply_format(form, ENGLISH).variables == {"text"}
        assert apply_format(form.name, ENGLISH) == apply_format(form, ENGLISH)  # the name makes it again


def test_a_format_that_drops_a_field_is_refused_by_name():
    class Dropper(Axis):
        name = "dropper"

        def options(self, prompt):
            return ("drop",)

        def apply(self, prompt, option):
            return Prompt(**{**prompt.__dict__, "template": "Answer:"})

    with pytest.raises(HarnessError, match="format dropper=drop removes field.* text of prompt 'p'"):
        Format((("dropper", "drop"),)).apply(ENGLISH, {"dropper": Dropper()})


def _sentiment_with(tmp_path, synonyms):
    raw = yaml.safe_load(SENTIMENT)
    raw["prompts"][0]["synonyms"] = synonyms
    path = tmp_path / "task.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize("synonyms, message", [
    ([["bad", "positive"], ["good", "great"]], "'positive' answers both 0 and 1"),
    ([["bad"], ["good", "great"]], "as many synonyms for every label"),
    ([["bad", "awful"], ["bad", "great"]], "'bad' answers both 0 and 1"),
    ([["negative", "awful"], ["good", "great"]], "differ from each other and from its choice"),
    ([["bad", "awful"]], "one list of other answer words per label"),
])
def test_label_synonyms_that_collide_are_refused(tmp_path, synonyms, message):
    with pytest.raises(HarnessError, match=message):
        validate_task_file(_sentiment_with(tmp_path, synonyms))


def test_synonyms_stay_out_of_the_prompt_hash(tmp_path):
    plain = validate_task_file(_sentiment_with(tmp_path, [["bad", "awful"], ["good", "great"]]))
    other = validate_task_file(_sentiment_with(tmp_path, [["sad", "awful"], ["glad", "great"]]))
    assert plain.prompts[0].hash == other.prompts[0].hash
    assert plain.prompts[0].full_hash != other.prompts[0].full_hash


def test_every_builtin_prompt_task_has_three_prompts_with_ten_formats_each():
    for name in ("sst2", "rte", "cola", "mrpc", "qnli", "afqmc", "ocnli", "fewclue-eprstmt", "fewclue-tnews",
                 "fewclue-iflytek", "fewclue-ocnli"):
        task = load_task(name)
        assert len(task.prompts) >= 3, name
        assert len({p.template for p in task.prompts}) == len(task.prompts)
        for prompt in task.prompts:
            assert len(draw_formats(prompt, 10, seed=0)) == 10, (name, prompt.name)


def test_demonstration_draws_are_distinct_and_start_with_the_single_draw():
    train = [Example(id=str(i), text=f"t{i}", label=i % 2) for i in range(6)]
    draws = demonstration_draws(train, 2, 5, seed=3)
    assert len({tuple(d.id for d in demos) for demos in draws}) == 5
    assert draws == demonstration_draws(train, 2, 5, seed=3)
    from harness.prompting.demonstrations import draw_demonstrations
    assert draws[0] == draw_demonstrations(train, 2, 3)
    assert len(demonstration_draws(train[:3], 3, 6, seed=0)) == 6  # every order of three
    with pytest.raises(HarnessError, match="allows only 6 distinct ordered draws"):
        demonstration_draws(train[:3], 3, 7, seed=0)


def test_spread_summary_on_constructed_scores():
    stats = spread_stats({"a": 0.5, "b": 0.7, "c": 0.6, "d": float("nan")})
    assert stats["variants"] == 3 and stats["undefined"] == 1
    assert math.isclose(stats["mean"], 0.6) and math.isclose(stats["std"], 0.1)
    assert math.isclose(stats["spread"], 0.2) and stats["min"] == 0.5 and stats["max"] == 0.7
    assert stats["best"] == "b" and stats["worst"] == "a"
    low, high = stats["interval"]  # Student's t with 2 degrees of freedom: 4.303 * 0.1 / sqrt(3)
    assert math.isclose(high - 0.6, 4.302653 * 0.1 / math.sqrt(3), rel_tol=1e-5) and math.isclose(0.6 - low, high - 0.6)
    assert spread_stats({"a": 0.5, "b": 0.7}, higher_is_better=False)["best"] == "a"
    single = spread_stats({"only": 0.4})
    assert single["std"] == 0 and single["interval"] is None and single["spread"] == 0
