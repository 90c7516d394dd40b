"""Perturbations on text: determinism, rates on real SST-2 and CLUE sentences, errors, plugins."""

from __future__ import annotations

import hashlib
import math
import random
import re
import sys
from importlib import metadata

import pytest

from harness.errors import HarnessError
from harness.perturb import (
    Perturbation,
    WordPerturbation,
    available,
    create,
    guess_language,
    load_plugins,
    make_rng,
    names,
    perturb_example,
    perturb_examples,
    registry,
    resolve,
    worst_case_correct,
)
from harness.perturb.base import CJK_RE, LANGUAGES
from harness.perturb.chinese import SimilarChars, common_characters
from harness.tasks import Example, load_split, load_task

ENGLISH = available("text_classification", "en")
CHINESE = available("text_classification", "zh")
CASE = {"lowercase", "uppercase", "title_case"}


@pytest.fixture(scope="module")
def sst2(data_dir) -> list[Example]:
    try:
        return load_split(load_task("sst2"), "validation", data_dir)
    except HarnessError as error:
        pytest.skip(f"SST-2 dev not found: {error}")


@pytest.fixture(scope="module")
def eprstmt(data_dir) -> list[Example]:
    try:
        return load_split(load_task("eprstmt"), "test_public", data_dir)
    except HarnessError as error:
        pytest.skip(f"FewCLUE EPRSTMT not found: {error}")


@pytest.fixture(scope="module")
def sentences_with_names(data_dir) -> list[Example]:
    """SST-2 train sentences with a name of the name-swap lists (dev has too few to measure a rate)."""
    names_swap = create("name_swap")
    return [e for e in load_split(load_task("sst2"), "train", data_dir) if names_swap.eligible_units(e.text)]


def texts(examples: list[Example], p: Perturbation, seed: int = 1) -> list[str]:
    return [e.text for e in perturb_examples(examples, p, seed=seed)]


# --- the seeded RNG and determinism -------------------------------------------------------

def test_rng_comes_from_a_sha256_of_name_seed_and_id() -> None:
    digest = hashlib.sha256("keyboard_typos\x1f1\x1fvalidation-0".encode()).digest()
    expected = random.Random(int.from_bytes(digest[:8], "big")).random()
    assert make_rng("validation-0", 1, "keyboard_typos").random() == expected
    assert make_rng("validation-0", 2, "keyboard_typos").random() != expected


@pytest.mark.parametrize("name", ENGLISH + CHINESE)
def test_same_seed_same_output_other_seed_other_output(name, sst2, eprstmt) -> None:
    sample = eprstmt[:100] if name.startswith("zh_") else [
        # half the sentences in capitals, so lowercase has work to do on lower-case SST-2
        Example(id=e.id, text=e.text.upper() if i % 2 else e.text, label=e.label) for i, e in enumerate(sst2[:200])]
    p = create(name, 0.5)
    first = texts(sample, p, seed=1)
    assert first == texts(sample, create(name, 0.5), seed=1)
    assert first != texts(sample, p, seed=2)
    assert first != [e.text for e in sample]


# --- rates on real SST-2 dev sentences ----------------------------------------------------

WORD_LEVEL = [n for n in ENGLISH if issubclass(registry.get(n), WordPerturbation) and n not in CASE]


@pytest.mark.parametrize("name", WORD_LEVEL)
@pytest.mark.parametrize("severity", [0.3, 1.0])
def test_word_perturbations_change_their_share_of_eligible_words(name, severity, sst2, request) -> None:
    p = create(name, severity)
    examples = request.getfixturevalue("sentences_with_names") if name == "name_swap" else sst2
    eligible = changed = 0
    for clean, messy in zip((e.text for e in examples), texts(examples, p)):
        before, after = p.unit_pattern.findall(clean), p.unit_pattern.findall(messy)
        assert len(before) == len(after), (clean, messy)  # a word changes in place, never splits
        eligible += p.eligible_units(clean)
        changed += sum(a != b for a, b in zip(before, after))
    assert eligible >= 40, f"too few words {name} could change to measure a rate"
    assert changed / eligible == pytest.approx(severity, abs=0.05)


def _gaps_widened(clean: str, messy: str) -> int:
    assert clean.split() == messy.split()
    return sum(len(b) > len(a) for a, b in zip(re.findall(r"\s+", clean), re.findall(r"\s+", messy)))


def _fillers_inserted(clean: str, messy: str) -> int:
    words, runs, k, inside = clean.split(), 0, 0, False
    for word in messy.split():
        if k < len(words) and word == words[k]:
            k, inside = k + 1, False
        elif not inside:
            runs, inside = runs + 1, True
    assert k == len(words), "filler insertion lost a word"
    return runs


def _units_gone(p: Perturbation):
    return lambda clean, messy: p.eligible_units(clean) - p.eligible_units(messy)


@pytest.mark.parametrize("name", ["remove_punctuation", "expand_contractions", "contract",
                                  "extra_whitespace", "filler_words"])
@pytest.mark.parametrize("severity", [0.5, 1.0])
def test_text_perturbations_change_their_share_of_units(name, severity, sst2) -> None:
    p = create(name, severity)
    count = {"extra_whitespace": _gaps_widened, "filler_words": _fillers_inserted}.get(name, _units_gone(p))
    sentences = [e.text for e in sst2]
    if name == "contract":  # SST-2 writes "do n't": expand them first so there is something to contract
        sentences = texts(sst2, create("expand_contractions"))
    examples = [Example(id=f"s-{i}", text=t) for i, t in enumerate(sentences)]
    eligible = sum(p.eligible_units(t) for t in sentences)
    changed = sum(count(clean, messy) for clean, messy in zip(sentences, texts(examples, p)))
    assert eligible >= 100
    assert changed / eligible == pytest.approx(severity, abs=0.05)


def test_case_perturbations_are_exact(sst2) -> None:
    sentences = [e.text for e in sst2]
    upper = [e.text.upper() for e in sst2]
    assert texts(sst2, create("uppercase")) == upper
    shouted = [Example(id=f"s-{i}", text=t) for i, t in enumerate(upper)]
    assert texts(shouted, create("lowercase")) == sentences
    for clean, titled in zip(sentences, texts(sst2, create("title_case"))):
        assert titled.lower() == clean.lower()
        for run in re.finditer(r"[^\W\d_]+", titled):  # letters after an apostrophe ('s, n't) stay lower
            word, before, after = run.group(), titled[run.start() - 1:run.start()], titled[run.end():run.end() + 2]
            if before != "'" and (word, after) != ("n", "'t"):
                assert word[0].isupper() and word[1:] == word[1:].lower(), titled
    example = Example(id="x", text="it 's a DULL movie , is n't it ?")
    assert perturb_example(example, create("title_case"), seed=1).text == "It 's A Dull Movie , Is n't It ?"


def test_contractions_both_ways_on_known_sentences() -> None:
    expand, contract = create("expand_contractions"), create("contract")
    rng = random.Random(0)
    assert expand.perturb("it 's not bad , you do n't say ; I'm sure it won't", rng) == \
        "it is not bad , you do not say ; I am sure it will not"
    assert contract.perturb("It is good that we are here. We do not know what it is.", rng) == \
        "It's good that we're here. We don't know what it is."


# --- Chinese on real CLUE sentences -------------------------------------------------------

@pytest.mark.parametrize("name", CHINESE)
def test_chinese_perturbations_change_chinese_text_at_their_rate(name, eprstmt) -> None:
    sample = eprstmt[:300]
    p = create(name, 0.5)
    eligible = changed = 0
    for clean, messy in zip((e.text for e in sample), texts(sample, p)):
        eligible += p.eligible_units(clean)
        han_before, han_after = CJK_RE.findall(clean), CJK_RE.findall(messy)
        if name in ("zh_char_delete", "zh_char_repeat"):
            changed += abs(len(han_before) - len(han_after))
        else:
            assert len(messy) == len(clean)
            moved = sum(a != b for a, b in zip(clean, messy))  # a swap of two equal characters changes nothing
            changed += moved
    assert eligible >= 100
    assert changed / eligible == pytest.approx(0.5, abs=0.06)


def test_homophones_keep_the_toned_reading_and_similar_chars_stay_in_their_group(eprstmt) -> None:
    from pypinyin import Style, lazy_pinyin

    def toned(char: str) -> str:
        return lazy_pinyin(char, style=Style.TONE3, neutral_tone_with_five=True)[0]

    sample, common = eprstmt[:100], set(common_characters())
    swaps = [(a, b) for e, m in zip(sample, texts(sample, create("zh_homophones", 0.3)))
             for a, b in zip(e.text, m) if a != b]
    assert len(swaps) > 50
    assert all(toned(a) == toned(b) and b in common for a, b in swaps)
    similar = create("zh_similar_chars")
    for e, messy in zip(sample, texts(sample, similar)):
        for a, b in zip(e.text, messy):
            assert a == b or b in SimilarChars.table[a]


def test_homophones_draw_from_a_given_character_set() -> None:
    from harness.perturb.chinese import Homophones

    p = Homophones(1.0, charset="是事十市")  # shi4, shi4, shi2, shi4
    outputs = {p.perturb("是十", random.Random(k)) for k in range(40)}
    assert outputs == {"事十", "市十"}  # 十 (shi2) has no same-tone partner in the set


def test_traditional_at_full_severity_is_opencc_s2t(eprstmt) -> None:
    from opencc import OpenCC

    s2t = OpenCC("s2t")
    sample = eprstmt[:100]
    assert texts(sample, create("zh_traditional")) == [s2t.convert(e.text) for e in sample]


def test_punctuation_width_toggles_and_leaves_decimals() -> None:
    p = create("zh_punct_width")
    assert p.perturb("价格3.5元，很好!", random.Random(0)) == "价格3.5元,很好！"


def test_guess_language(sst2, eprstmt) -> None:
    assert guess_language(sst2) == "en" and guess_language(eprstmt) == "zh"


# --- names, severities and refusals ---------------------------------------------------------

def test_every_builtin_declares_what_the_harness_relies_on() -> None:
    for name in names():
        cls = registry.get(name)
        assert cls.language in LANGUAGES and cls.description and cls.source and cls.unit
        assert 0 < cls.default_severity <= 1
        assert cls.ner_safe or cls.not_ner_safe_because
        assert create(name).severity == cls.default_severity


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(HarnessError) as caught:
        create("keyboard_typo")
    message = str(caught.value)
    assert "\n" not in message and "unknown perturbation 'keyboard_typo'" in message
    assert "did you mean keyboard_typos" in message and all(n in message for n in names())
    with pytest.raises(HarnessError, match="unknown perturbation 'tpyos'"):
        resolve("lowercase,tpyos", kind="text_classification", language="en")


@pytest.mark.parametrize("severity", [0, -0.1, 1.5, math.nan, True, "0.5"])
def test_severity_out_of_range_says_the_range(severity) -> None:
    with pytest.raises(HarnessError) as caught:
        create("keyboard_typos", severity)
    message = str(caught.value)
    assert "\n" not in message and "(0, 1]" in message and "keyboard_typos" in message
    with pytest.raises(HarnessError, match=r"\(0, 1\]"):
        resolve("char_swap:2", kind="text_classification", language="en")
    with pytest.raises(HarnessError, match="not a number"):
        resolve("char_swap:lots", kind="text_classification", language="en")


def test_resolve_all_and_severities() -> None:
    chosen = resolve("all", kind="regression", language="en")
    assert [p.name for p in chosen] == [n for n in ENGLISH if registry.get(n).in_all] and "entity_swap" not in ENGLISH
    assert {"word_delete", "word_swap", "word_insert"} <= set(ENGLISH) - {p.name for p in chosen}  # only when named
    assert {"contract", "extra_whitespace", "filler_words"} <= set(ENGLISH)
    assert [p.name for p in resolve("all", kind="text_pair_classification", language="zh")] == \
        [n for n in CHINESE if n != "zh_char_swap"]
    picked = resolve("keyboard_typos:0.3, lowercase", kind="text_classification", language="en")
    assert [(p.name, p.severity) for p in picked] == [("keyboard_typos", 0.3), ("lowercase", 1.0)]


def test_resolve_refuses_what_does_not_fit_the_task() -> None:
    with pytest.raises(HarnessError, match="for language 'zh', the task's is 'en'"):
        resolve("zh_homophones", kind="text_classification", language="en")
    with pytest.raises(HarnessError, match="token_classification tasks only"):
        resolve("entity_swap", kind="text_classification", language="en")


# --- applying to examples -----------------------------------------------------------------

def test_apply_keeps_ids_and_labels_and_perturbs_both_texts() -> None:
    pairs = [Example(id=f"validation-{i}", text="The movie was good and really funny .",
                     text_pair="A film that is definitely boring .", label=2.5 + i) for i in range(3)]
    out = perturb_examples(pairs, create("uppercase"), seed=3)
    assert [(e.id, e.label) for e in out] == [(e.id, e.label) for e in pairs]
    assert out[0].text == pairs[0].text.upper() and out[0].text_pair == pairs[0].text_pair.upper()
    assert out[0].fields["perturbation"] == "uppercase" and "perturbation" not in pairs[0].fields


def test_a_perturbation_never_empties_an_input() -> None:
    example = Example(id="x", text="... !", label=0)
    assert perturb_example(example, create("remove_punctuation"), seed=1).text == "... !"


def test_worst_case_correct_on_a_constructed_case() -> None:
    clean = [True, True, True, False, True]
    perturbed = {"typos": [True, False, True, True, True], "lowercase": [True, True, True, True, False]}
    assert worst_case_correct(clean, perturbed) == [True, False, True, False, False]
    assert worst_case_correct(clean, {}) == clean
    with pytest.raises(ValueError):
        worst_case_correct(clean, {"typos": [True]})


# --- plugins --------------------------------------------------------------------------------

PLUGIN = '''
from harness.perturb import WordPerturbation, register

@register
class Shout(WordPerturbation):
    name, language, default_severity, source = "{name}", "en", 1.0, "no data"
    description = "words in capitals"

    def eligible(self, unit):
        return unit != unit.upper()

    def change(self, unit, rng):
        return unit.upper() + "!"
'''

LISTED_PLUGIN = '''
from harness.perturb import Perturbation

class Reverse(Perturbation):
    name, language, default_severity, source = "reverse_text", "en", 1.0, "no data"
    description = "the text backwards"
    not_ner_safe_because = "it reorders words"

    def eligible_units(self, text):
        return 1

    def perturb(self, text, rng):
        return text[::-1]

PERTURBATIONS = [Reverse]
'''


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(registry.PERTURBATIONS, "_items", dict(registry.PERTURBATIONS._items))
    monkeypatch.setattr(registry.PERTURBATIONS, "_entry_points_loaded", True)


def test_plugin_from_a_user_module(tmp_path, monkeypatch, clean_registry) -> None:
    (tmp_path / "shout_plugin.py").write_text(PLUGIN.format(name="shout"))
    (tmp_path / "reverse_plugin.py").write_text(LISTED_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_plugins("shout_plugin", "reverse_plugin") == ["shout", "reverse_text"]
    shout, reverse = resolve("shout,reverse_text", kind="text_classification", language="en")
    assert perturb_example(Example(id="a", text="so good"), shout, seed=1).text == "SO! GOOD!"
    assert reverse.perturb("abc", random.Random(0)) == "cba"
    assert "shout" in available("token_classification", "en")
    assert "reverse_text" not in available("token_classification", "en")
    with pytest.raises(HarnessError, match="cannot import perturbation plugin module 'no_such_plugin'"):
        load_plugins("no_such_plugin")


def test_plugin_from_an_entry_point(tmp_path, monkeypatch, clean_registry) -> None:
    (tmp_path / "ep_plugin.py").write_text(PLUGIN.format(name="shout_ep").replace("@register", ""))
    monkeypatch.syspath_prepend(str(tmp_path))
    point = metadata.EntryPoint(name="shout", value="ep_plugin:Shout", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(metadata, "entry_points", lambda group: [point] if group == registry.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(registry.PERTURBATIONS, "_entry_points_loaded", False)
    assert "shout_ep" in names()
    assert create("shout_ep").perturb("ok", random.Random(0)) == "OK!"
    monkeypatch.delitem(sys.modules, "ep_plugin")


def test_bad_plugins_are_refused(clean_registry) -> None:
    class Unsafe(Perturbation):
        name, language, source, description = "unsafe", "en", "x", "x"
        ner_safe = True

    class Clash(Perturbation):
        name, language, source, description = "lowercase", "en", "x", "x"
        not_ner_safe_because = "x"

    class Klingon(Perturbation):
        name, language, source, description = "klingon", "tlh", "x", "x"
        not_ner_safe_because = "x"

    with pytest.raises(HarnessError, match="no perturb_words"):
        registry.register(Unsafe)
    with pytest.raises(HarnessError, match="'lowercase' .* is taken"):
        registry.register(Clash)
    with pytest.raises(HarnessError, match="language 'tlh'"):
        registry.register(Klingon)
