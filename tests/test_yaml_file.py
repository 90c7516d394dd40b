"""The one YAML reader: each way a user's file can fail is one line naming the file and the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.board.view import VIEW_FILE
from harness.errors import HarnessError
from harness.regress.tolerances import TOLERANCES_FILE
from harness.sweep.grid import SWEEP_FILE
from harness.tasks.validate import TASK_FILE
from harness.yaml_file import YamlFile, read_mapping

NOTES = YamlFile(name="notes file {path}", holds="a mapping of note -> text", if_unreadable="pass --notes FILE",
                 if_invalid="fix the syntax there")


def fails(path: Path, kind: YamlFile = NOTES) -> str:
    with pytest.raises(HarnessError) as caught:
        read_mapping(path, kind)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_mapping_is_returned_as_parsed(tmp_path):
    path = tmp_path / "n.yaml"
    path.write_text("a: 1\nb: [x, y]\n", encoding="utf-8")
    assert read_mapping(path, NOTES) == {"a": 1, "b": ["x", "y"]}


def test_each_failure_names_the_file_and_the_fix(tmp_path):
    missing = tmp_path / "missing.yaml"
    assert fails(missing) == f"notes file {missing} not found; pass --notes FILE"
    assert fails(tmp_path) == f"notes file {tmp_path}: cannot be read (Is a directory); pass --notes FILE"
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("note: caf\xe9\n".encode("latin-1"))
    assert fails(latin) == f"notes file {latin}: not UTF-8 text (byte 9: invalid continuation byte); save it as UTF-8"
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: 1\nb: [x\n", encoding="utf-8")
    assert re.fullmatch(rf"notes file {re.escape(str(broken))}: not valid YAML: line 3: .+; fix the syntax there",
                        fails(broken))
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n", encoding="utf-8")
    assert fails(listed) == f"notes file {listed}: expected a mapping of note -> text, found list"


def test_an_empty_file_is_empty_only_where_the_kind_allows_it(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    assert fails(empty).endswith("expected a mapping of note -> text, found nothing")
    assert read_mapping(empty, TOLERANCES_FILE) == {}


@pytest.mark.parametrize(("kind", "named", "fix"), [
    (SWEEP_FILE, "sweep file {path}", "(`harness sweep --file FILE --dry-run` checks it)"),
    (TOLERANCES_FILE, "--tolerances {path}", "write one `metric: drop` per line, e.g. `accuracy: 0.005`"),
    (VIEW_FILE, "{path}", "fix the file (format in harness/board/views/README.md)"),
])
def test_each_callers_wording(tmp_path, kind, named, fix):
    broken = tmp_path / "broken.yaml"
    broken.write_text("models: [minilm\n", encoding="utf-8")
    message = fails(broken, kind)
    assert message.startswith(named.format(path=broken) + ": not valid YAML: line") and message.endswith(fix)


@pytest.mark.parametrize("text, message", [
    ("a: 1\nb: 2\na: 3\n", "line 3: key 'a' is given twice (first on line 1); keep one"),
    ("a:\n  x: 1\n  x: 2\n", "line 3: key 'x' is given twice (first on line 2); keep one"),
    ("a: 1\n0: zero\n", 'line 2: key 0 is not text; quote it ("0")'),
    ("a: 1\n? [x, y]\n: 2\n", "line 2: key a list or mapping is not text"),
    ("a: &shared [x]\nb: *shared\n", "line 1: the value anchored here is used again through an alias"),
    ("base: &b {lr: 1}\nrun:\n  <<: *b\n", "line 3: merge key <<: is not read in harness files"),
])
def test_a_file_that_would_not_read_as_written_is_refused_with_its_line(tmp_path, text, message):
    for kind in (NOTES, TASK_FILE, VIEW_FILE, SWEEP_FILE, TOLERANCES_FILE):
        path = tmp_path / "file.yaml"
        path.write_text(text, encoding="utf-8")
        assert message in fails(path, kind)
