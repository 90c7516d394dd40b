"""The html leaderboards of the peft and glue views in headless Chromium: table, plots, sorting, filtering.

Needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver; .ci/run
installs them) and selenium (the `test` extra); skipped only when one of them is missing.
Set LEADERBOARD_SCREENSHOTS=DIR to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_leaderboard_formats import _peft_records
from test_leaderboard_records import write_records
from test_leaderboard_suites import _glue_runs

from harness.board import build_board, load_view
from harness.board.html import to_html
from harness.board.plots import draw_plots

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1100")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("Chromium or its driver is not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install .[test])")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _open(browser, tmp_path: Path, view: str, records: list[dict]) -> Path:
    board = build_board(load_view(view), write_records(tmp_path / "results", records))
    plots, _ = draw_plots(board)
    page = tmp_path / f"{view}.html"
    page.write_text(to_html(board, plots), encoding="utf-8")
    browser.get(page.as_uri())
    return page


def _column(browser, field: str) -> list[str]:
    """The text of one column of the visible rows, top to bottom."""
    from selenium.webdriver.common.by import By

    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#board thead th")]
    index = next(i for i, text in enumerate(headers) if text.startswith(field))
    return [row.find_elements(By.TAG_NAME, "td")[index].text
            for row in browser.find_elements(By.CSS_SELECTOR, "#board tbody tr") if row.is_displayed()]


def _click_header(browser, label: str) -> None:
    from selenium.webdriver.common.by import By

    header = next(th for th in browser.find_elements(By.CSS_SELECTOR, "#board thead th") if th.text.startswith(label))
    header.click()


def _screenshot(browser, tmp_path: Path, name: str) -> None:
    shot = tmp_path / f"{name}.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    keep = os.environ.get("LEADERBOARD_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)


def _plots_rendered(browser) -> int:
    return browser.execute_script(
        "var imgs = Array.prototype.slice.call(document.images);"
        "return imgs.filter(function (i) { return i.complete && i.naturalWidth > 100; }).length;")


def test_peft_page_sorts_filters_and_shows_its_plot(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(browser, tmp_path, "peft", _peft_records())
    assert browser.title == "Parameter-efficient fine-tuning on SST-2"
    assert _column(browser, "method") == ["full", "lora", "bitfit"]  # best accuracy first
    assert _plots_rendered(browser) == 1
    _screenshot(browser, tmp_path, "peft")

    _click_header(browser, "trainable parameters")  # lower is better: fewest first
    assert _column(browser, "method") == ["bitfit", "lora", "full"]
    _click_header(browser, "trainable parameters")  # again: reversed
    assert _column(browser, "method") == ["full", "lora", "bitfit"]
    _click_header(browser, "method")  # a text column: alphabetical
    assert _column(browser, "method") == ["bitfit", "full", "lora"]

    browser.find_element(By.ID, "filter").send_keys("lora")
    assert _column(browser, "method") == ["lora"]
    assert browser.find_element(By.ID, "shown").text == "1 of 3 rows"
    browser.find_element(By.ID, "filter").clear()
    browser.execute_script("document.getElementById('filter').dispatchEvent(new Event('input'));")
    Select(browser.find_element(By.CSS_SELECTOR, "select[data-field=method]")).select_by_value("bitfit")
    assert _column(browser, "method") == ["bitfit"]

    cell = browser.find_element(By.CSS_SELECTOR, "#board tbody tr:not([hidden]) td[data-value]")
    hover = cell.get_attribute("title")
    assert "n = 3 runs" in hover and "runs: sst2-bitfit-" in hover and "t-interval" in hover


def _with_params(records: list[dict], trainable: int) -> list[dict]:
    for record in records:
        record["costs"] = {"trainable_parameters": trainable}
    return records


def test_glue_page_ranks_complete_scores_and_sorts_by_a_task(browser, tmp_path):
    records = [*_with_params(_glue_runs("complete", 0, 0.0) + _glue_runs("complete", 1, 0.02), 22_000_000),
               *_with_params(_glue_runs("small", 0, -0.05), 150_000),
               *_with_params(_glue_runs("partial", 0, 0.1, skip=("qqp", "mnli")), 1_000_000)]
    _open(browser, tmp_path, "glue", records)
    assert _column(browser, "model") == ["complete", "small", "partial"]
    assert _column(browser, "GLUE score")[2] == "7/9 tasks"
    assert _plots_rendered(browser) == 1  # GLUE score against trainable parameters
    _screenshot(browser, tmp_path, "glue")

    _click_header(browser, "sst2")  # the partial row has the best SST-2 accuracy
    assert _column(browser, "model") == ["partial", "complete", "small"]
    _click_header(browser, "GLUE score")  # best first; a partial score is never ranked
    assert _column(browser, "model") == ["complete", "small", "partial"]
    _click_header(browser, "GLUE score")  # reversed, the partial row still last
    assert _column(browser, "model") == ["small", "complete", "partial"]
