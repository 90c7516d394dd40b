"""A board as ONE self-contained HTML page: inline CSS and vanilla JS, plots as data URIs, no address outside.

Click a header to sort (again to reverse; rows without a value stay last, partial suite
scores just above them); type in the filter box to keep rows containing the text; pick a
model, method, ... in the per-field menus. Hovering a cell shows its spread, interval,
number of runs and run ids.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from harness.board.board import Board
from harness.board.plots import Plot
from harness.board.render_text import LEGEND, cell_text, header, hover_lines

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5rem; color: #1d232a; }
h1 { font-size: 1.35rem; margin: 0 0 .3rem; }
.description, .meta { margin: .2rem 0; color: #4a5561; }
.controls { display: flex; flex-wrap: wrap; gap: .8rem; align-items: center; margin: 1rem 0 .6rem; }
.controls input, .controls select { font: inherit; padding: .2rem .4rem; }
#shown { color: #4a5561; }
.wrap { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #dde2e7; padding: .35rem .6rem; text-align: right; white-space: nowrap; }
th { position: sticky; top: 0; background: #f1f4f7; cursor: pointer; user-select: none; }
th:hover, th:focus { background: #e1e8ef; outline: none; }
th[aria-sort="ascending"]::after { content: " \\25B2"; font-size: .7em; }
th[aria-sort="descending"]::after { content: " \\25BC"; font-size: .7em; }
th.key, td.key { text-align: left; }
tbody tr:nth-child(even) { background: #fafbfc; }
tbody tr:hover { background: #eef5ff; }
td.best { font-weight: 700; color: #0a6b2d; background: #e6f5ea; }
td.partial { color: #8a6d00; font-style: italic; }
td.missing { color: #9aa4ae; }
.notes { color: #4a5561; padding-left: 1.2rem; }
.plots { display: flex; flex-wrap: wrap; gap: 1.2rem; margin-top: 1.2rem; }
figure { margin: 0; }
figure img { max-width: 100%; border: 1px solid #dde2e7; }
figcaption { color: #4a5561; font-size: .9em; }
"""

_JS = """
(function () {
  "use strict";
  var table = document.getElementById("board");
  var tbody = table.tBodies[0];
  var headers = table.tHead.rows[0].cells;
  var state = { col: -1, desc: false };
  function key(row, col, numeric) {
    var cell = row.cells[col];
    if (!numeric) { return { rank: 0, v: cell.textContent.toLowerCase() }; }
    var v = cell.hasAttribute("data-value") ? Number(cell.getAttribute("data-value")) : NaN;
    return { rank: Number(cell.getAttribute("data-rank") || "2"), v: v };
  }
  function sortBy(col) {
    var th = headers[col];
    var numeric = th.getAttribute("data-type") === "number";
    var desc = state.col === col ? !state.desc : (numeric && th.getAttribute("data-better") === "higher");
    state = { col: col, desc: desc };
    var rows = Array.prototype.slice.call(tbody.rows);
    rows.forEach(function (row, i) { row.setAttribute("data-order", String(i)); });
    rows.sort(function (a, b) {
      var ka = key(a, col, numeric), kb = key(b, col, numeric);
      if (ka.rank !== kb.rank) { return ka.rank - kb.rank; }
      if (ka.v < kb.v) { return desc ? 1 : -1; }
      if (ka.v > kb.v) { return desc ? -1 : 1; }
      return Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order"));
    });
    rows.forEach(function (row) { tbody.appendChild(row); });
    for (var i = 0; i < headers.length; i++) { headers[i].removeAttribute("aria-sort"); }
    th.setAttribute("aria-sort", desc ? "descending" : "ascending");
  }
  Array.prototype.forEach.call(headers, function (th, col) {
    th.addEventListener("click", function () { sortBy(col); });
    th.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(col); }
    });
  });
  var filter = document.getElementById("filter");
  var menus = document.querySelectorAll("select.field-filter");
  function applyFilters() {
    var text = filter.value.trim().toLowerCase();
    var shown = 0;
    Array.prototype.forEach.call(tbody.rows, function (row) {
      var keep = !text || row.textContent.toLowerCase().indexOf(text) !== -1;
      Array.prototype.forEach.call(menus, function (menu) {
        if (menu.value && row.getAttribute("data-key-" + menu.getAttribute("data-field")) !== menu.value) {
          keep = false;
        }
      });
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    document.getElementById("shown").textContent = shown + " of " + tbody.rows.length + " rows";
  }
  filter.addEventListener("input", applyFilters);
  Array.prototype.forEach.call(menus, function (menu) { menu.addEventListener("change", applyFilters); });
  applyFilters();
})();
"""


def _attr(text: str) -> str:
    return escape(text, quote=True).replace("\n", "&#10;")


def _controls(board: Board) -> str:
    parts = ['<label>Filter rows <input id="filter" type="search" placeholder="text in any cell"></label>']
    for name in board.key_fields:
        values = sorted({row.key[name] for row in board.rows})
        if len(values) < 2:
            continue
        options = "".join(f'<option value="{_attr(v)}">{escape(v)}</option>' for v in values)
        parts.append(f'<label>{escape(name)} <select class="field-filter" data-field="{_attr(name)}">'
                     f'<option value="">all</option>{options}</select></label>')
    parts.append('<span id="shown"></span>')
    return '<section class="controls">' + "".join(parts) + "</section>"


def _table(board: Board) -> str:
    heads = [f'<th class="key" data-type="text" tabindex="0" title="click to sort">{escape(name)}</th>'
             for name in board.key_fields]
    for column in board.columns:
        better = "higher" if column.higher_is_better else "lower"
        heads.append(f'<th data-type="number" data-better="{better}" tabindex="0" '
                     f'title="{_attr(f"{better} is better; click to sort")}">{escape(header(column))}</th>')
    best = [board.best(column) for column in board.columns]
    body = []
    for i, row in enumerate(board.rows):
        data = "".join(f' data-key-{name}="{_attr(value)}"' for name, value in row.key.items())
        cells = [f'<td class="key">{escape(value)}</td>' for value in row.key.values()]
        for j, column in enumerate(board.columns):
            cell = board.cell(row, column)
            classes, attrs = [], ""
            if cell.value is not None:
                attrs = f' data-value="{cell.value!r}" data-rank="0"'
                classes += ["best"] if i in best[j] else []
            else:
                attrs = f' data-rank="{1 if cell.partial else 2}"'
                classes.append("partial" if cell.partial else "missing")
            hover = hover_lines(column, cell)
            title = f' title="{_attr(chr(10).join(hover))}"' if hover else ""
            css = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{css}{attrs}{title}>{escape(cell_text(column, cell))}</td>")
        body.append(f"<tr{data}>{''.join(cells)}</tr>")
    return (f'<div class="wrap"><table id="board"><thead><tr>{"".join(heads)}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _plots(plots: list[Plot]) -> str:
    if not plots:
        return ""
    figures = []
    for plot in plots:
        data = base64.b64encode(plot.png).decode("ascii")
        figures.append(f'<figure><img alt="{_attr(plot.title)}" src="data:image/png;base64,{data}">'
                       f"<figcaption>{escape(plot.title)}</figcaption></figure>")
    return '<section class="plots">' + "".join(figures) + "</section>"


def to_html(board: Board, plots: Sequence[Plot] = ()) -> str:
    view = board.view
    notes = [*board.notes, f"{LEGEND}; hover a cell for its interval and run ids"]
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(view.title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{escape(view.title)}</h1>",
        f'<p class="description">{escape(view.description.strip())}</p>' if view.description else "",
        f'<p class="meta">view {escape(view.name)} · {len(board.rows)} rows from {escape(board.results)}</p></header>',
        _controls(board),
        _table(board),
        '<ul class="notes">' + "".join(f"<li>{escape(note)}</li>" for note in notes) + "</ul>",
        _plots(list(plots)),
        f"<script>{_JS}</script>",
        "</body></html>",
    ]) + "\n"
