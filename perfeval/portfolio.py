"""The portfolio page of a batch run: ``index.html``, one row a project.

Every project with its unit, the declared / computed / reviewed totals and
grades, its error and warning counts, its review status, how its run went and a
link to its review. One self-contained file: the CSS and the few lines of
JavaScript that sort the table (click a column heading) are inline, nothing is
loaded from outside, and it prints on A4 landscape. Everything a form says is
escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import quote

from . import fmt

__all__ = ["RUN_STATES", "PortfolioRow", "href", "index_html"]

RUN_STATES = {"done": "已完成", "skipped": "未变", "failed": "失败"}


@dataclass(frozen=True)
class PortfolioRow:
    """One project as the index shows it; ``summary`` is ``Review`` totals and counts, or None."""

    folder: str
    project: str | None
    unit: str | None
    year: int | None
    source: str
    state: str
    error: str | None = None
    review_href: str | None = None
    notebook_href: str | None = None
    summary: dict[str, Any] | None = None


_CSS = """
@page { size: A4 landscape; margin: 12mm; }
html {
  font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
    "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif;
  font-size: 14px; line-height: 1.5; color: #1f2328; background: #fff;
}
body { margin: 0 auto; max-width: 1400px; padding: 16px 24px; }
h1 { font-size: 1.5em; margin: 0 0 4px; }
p.meta { color: #57606a; margin: 0 0 12px; }
table { border-collapse: collapse; width: 100%; }
th, td {
  border: 1px solid #c9d1d9; padding: 4px 6px; vertical-align: top; text-align: left;
  overflow-wrap: anywhere;
}
th { background: #f3f5f7; white-space: nowrap; }
th button {
  font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer;
}
th[aria-sort="ascending"] button::after { content: " ▲"; }
th[aria-sort="descending"] button::after { content: " ▼"; }
td.num { text-align: right; white-space: nowrap; }
tr.failed td { background: #ffebe9; }
.state-failed { color: #82071e; font-weight: bold; }
.error { color: #82071e; font-size: 0.9em; }
.grade { color: #57606a; }
a.notebook { font-size: 0.85em; color: #57606a; white-space: nowrap; }
section.problems { margin-top: 16px; }
@media print {
  html { font-size: 9pt; }
  body { max-width: none; padding: 0; }
  * { overflow: visible !important; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  th button::after { content: "" !important; }
  a { color: inherit; text-decoration: none; }
}
"""

# Sorts the table by the clicked column: by data-sort (numbers) where a cell has one,
# else by text in Chinese collation; a second click reverses. Blank values sort last.
_SCRIPT = """
(function () {
  var table = document.getElementById("projects");
  if (!table) return;
  var headings = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(headings, function (th, column) {
    var button = th.querySelector("button");
    if (!button) return;
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(headings, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      function key(row) {
        var cell = row.cells[column];
        var sort = cell.getAttribute("data-sort");
        if (sort !== null) return sort === "" ? null : Number(sort);
        var text = cell.textContent.trim();
        return text === "" || text === "—" ? null : text;
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === null || y === null) return x === y ? 0 : (x === null ? 1 : -1);
        var order = typeof x === "number" && typeof y === "number"
          ? x - y : String(x).localeCompare(String(y), "zh-CN");
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
"""

_COLUMNS = (
    "项目名称",
    "预算单位",
    "年度",
    "自评合计（填报）",
    "各项相加",
    "复核合计",
    "错误",
    "警告",
    "复核状态",
    "运行",
    "来源文件",
)


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _total_cell(summary: dict[str, Any] | None, which: str) -> str:
    if summary is None:
        return '<td class="num" data-sort="">—</td>'
    total = _number(summary.get(which))
    grade = summary.get(f"{which}_grade")
    label = fmt.score(total) + (f' <span class="grade">{_e(grade)}</span>' if grade else "")
    return f'<td class="num" data-sort="{_e("" if total is None else total)}">{label}</td>'


def _count_cell(summary: dict[str, Any] | None, which: str) -> str:
    count = None if summary is None else summary.get(which)
    shown = "—" if count is None else str(count)
    return f'<td class="num" data-sort="{_e("" if count is None else count)}">{shown}</td>'


def _row(row: PortfolioRow) -> str:
    name = _e(row.project or row.folder)
    title = f'<a href="{_e(row.review_href)}">{name}</a>' if row.review_href else name
    if row.notebook_href:
        title += f' <a class="notebook" href="{_e(row.notebook_href)}">（笔记本）</a>'
    summary = row.summary
    state = f'<span class="state-{_e(row.state)}">{_e(RUN_STATES.get(row.state, row.state))}</span>'
    if row.error:
        state += f'<div class="error">{_e(row.error)}</div>'
    status = summary.get("status") if summary else None
    cells = [
        f"<td>{title}</td>",
        f"<td>{_e(row.unit or '—')}</td>",
        f'<td class="num" data-sort="{_e(row.year or "")}">{_e(row.year or "—")}</td>',
        _total_cell(summary, "declared"),
        _total_cell(summary, "computed"),
        _total_cell(summary, "reviewed"),
        _count_cell(summary, "errors"),
        _count_cell(summary, "warnings"),
        f"<td>{_e(status or '—')}</td>",
        f"<td>{state}</td>",
        f"<td>{_e(row.source)}</td>",
    ]
    css = ' class="failed"' if row.state == "failed" else ""
    return f"<tr{css}>{''.join(cells)}</tr>"


def _problems(heading: str, items: list[str]) -> str:
    if not items:
        return ""
    listed = "".join(f"<li>{_e(item)}</li>" for item in items)
    return f'<section class="problems"><h2>{_e(heading)}</h2><ul>{listed}</ul></section>'


def href(folder: str, name: str) -> str:
    """A link from the index to a file in a project folder, percent-encoded."""
    return f"{quote(folder)}/{quote(name)}"


def index_html(
    rows: list[PortfolioRow],
    *,
    unreadable: list[str] | None = None,
    without_form: list[str] | None = None,
    generated_at: str = "",
    title: str = "绩效自评复核汇总",
) -> str:
    """The whole ``index.html`` page."""
    counts = {state: sum(1 for row in rows if row.state == state) for state in RUN_STATES}
    meta = (
        f"共 {len(rows)} 个项目：完成 {counts['done']}，未变 {counts['skipped']}，"
        f"失败 {counts['failed']}"
        + (f"；{len(unreadable)} 个文件无法读取" if unreadable else "")
        + (f"。生成于 {generated_at}" if generated_at else "")
    )
    headings = "".join(f'<th scope="col"><button type="button">{c}</button></th>' for c in _COLUMNS)
    body = "".join(_row(row) for row in rows)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="perfeval">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{_e(title)}</h1>
<p class="meta">{_e(meta)}。点击表头排序。</p>
<table id="projects">
<thead><tr>{headings}</tr></thead>
<tbody>{body}</tbody>
</table>
{_problems("无法读取的文件", unreadable or [])}
{_problems("没有自评表的工作表（已跳过）", without_form or [])}
<script>{_SCRIPT}</script>
</body>
</html>
"""
