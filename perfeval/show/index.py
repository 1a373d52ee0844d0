"""The portfolio page of a batch run: ``index.html``.

From top to bottom: two charts (grades self vs reviewed; each project's self
total against its reviewed total), the projects table (unit, budget, execution
rate, the three totals and grades, 偏离度, errors, warnings, review status, how
its run went, links to its review, notebook and workbook), the units table (see
``perfeval.portfolio.unit_summaries``), the scoring rules projects share, and how
often each check fired.

One self-contained file: the CSS, the SVG charts and the few lines of JavaScript
that sort the projects table (click a column heading) and filter it (by unit, by
self grade, by reviewed grade; filters and sorting combine, and the scatter chart
follows the filters) are inline; nothing is loaded from outside, and it prints on
A4 landscape. Everything a form says is HTML-escaped, in the charts too.

The markup is in ``templates/index.html.j2``, rendered by Jinja2 with autoescaping:
form text (project names, units, file names, errors, rules, check titles) reaches the
page only through it. The stylesheet, the script and the SVG charts (whose labels
``perfeval.show.charts`` escapes) are ours and are passed in marked safe.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from .. import fmt
from ..findings import SEVERITY_LABELS
from ..review.portfolio import (
    RUN_STATES,
    PortfolioRow,
    by_grade_scale,
    check_counts,
    grade_counts,
    grade_order,
    shared_rules,
    unit_summaries,
)
from ..review.store import STATUSES
from .charts import FONT_STACK, Point, Series, grouped_bars, scatter
from .templating import environment

__all__ = ["index_html"]

_CSS = f"""
@page {{ size: A4 landscape; margin: 12mm; }}
html {{
  font-family: {FONT_STACK};
  font-size: 14px; line-height: 1.5; color: #1f2328; background: #fff;
}}
body {{ margin: 0 auto; max-width: 1400px; padding: 16px 24px; }}
h1 {{ font-size: 1.5em; margin: 0 0 4px; }}
h2 {{ font-size: 1.2em; margin: 20px 0 8px; }}
h3 {{ font-size: 1em; margin: 12px 0 6px; }}
p.meta, p.note {{ color: #57606a; margin: 0 0 12px; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{
  border: 1px solid #c9d1d9; padding: 4px 6px; vertical-align: top; text-align: left;
  overflow-wrap: anywhere;
}}
th {{ background: #f3f5f7; white-space: nowrap; }}
th button {{
  font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer;
}}
th[aria-sort="ascending"] button::after {{ content: " ▲"; }}
th[aria-sort="descending"] button::after {{ content: " ▼"; }}
td.num {{ text-align: right; white-space: nowrap; }}
tr.failed td {{ background: #ffebe9; }}
tr.flagged td {{ background: #fff8c5; }}
.flag {{ color: #82071e; font-weight: bold; }}
.state-failed {{ color: #82071e; font-weight: bold; }}
.error {{ color: #82071e; font-size: 0.9em; }}
.grade {{ color: #57606a; }}
a.aside {{ font-size: 0.85em; color: #57606a; white-space: nowrap; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 16px; }}
.charts svg {{ max-width: 100%; height: auto; border: 1px solid #d0d7de; }}
.filters {{ display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 0 0 8px; }}
.filters select, .filters input {{ font: inherit; }}
.pager {{ display: flex; gap: 12px; align-items: center; margin: 8px 0; }}
.pager button {{ font: inherit; }}
.pager[hidden] {{ display: none; }}
#rules td.rule {{ width: 55%; }}
section.problems {{ margin-top: 16px; }}
@media print {{
  html {{ font-size: 9pt; }}
  body {{ max-width: none; padding: 0; }}
  * {{ overflow: visible !important; }}
  thead {{ display: table-header-group; }}
  tr, svg {{ break-inside: avoid; }}
  th button::after {{ content: "" !important; }}
  .filters select, .filters label, .pager {{ display: none; }}
  .charts {{ flex-wrap: nowrap; }}
  .charts svg {{ width: 49%; }}
  a {{ color: inherit; text-decoration: none; }}
}}
"""

# The projects table shows a page of PAGE_SIZE rows: the first page is in the table as
# sent (what shows without the script, and on first paint), the others wait in a
# <template> (parsed, not rendered: a province's 20,000 rows cost no layout). The script
# sorts (by data-sort numbers where a cell has one, else by text in Chinese collation; a
# second click reverses; blanks last), filters (every select box and the search words
# must match) and pages the whole list, and the scatter chart follows the filters.
_SCRIPT = """
(function () {
  var table = document.getElementById("projects");
  if (!table) return;
  var body = table.tBodies[0];
  var headings = table.tHead.rows[0].cells;
  var rows = Array.prototype.slice.call(body.rows);
  var more = document.getElementById("more-projects");
  if (more) rows = rows.concat(Array.prototype.slice.call(more.content.querySelectorAll("tr")));
  var pageSize = Number(table.getAttribute("data-page-size")) || rows.length || 1;
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var search = document.getElementById("search");
  var points = Array.prototype.slice.call(document.querySelectorAll("svg .point"));
  var shown = document.getElementById("shown");
  var pager = document.getElementById("pager");
  var visible = rows, page = 0;
  function words() {
    return search ? search.value.toLowerCase().split(/\\s+/).filter(Boolean) : [];
  }
  function matches(element, wanted) {
    var chosen = selects.every(function (select) {
      var name = "data-" + select.getAttribute("data-filter");
      return select.value === "" || element.getAttribute(name) === select.value;
    });
    if (!chosen || !wanted.length) return chosen;
    if (element.searchText === undefined) element.searchText = element.textContent.toLowerCase();
    return wanted.every(function (word) { return element.searchText.indexOf(word) >= 0; });
  }
  function render() {
    var pages = Math.max(1, Math.ceil(visible.length / pageSize));
    page = Math.max(0, Math.min(page, pages - 1));
    var slice = visible.slice(page * pageSize, (page + 1) * pageSize);
    while (body.firstChild) body.removeChild(body.firstChild);
    slice.forEach(function (row) { row.hidden = false; body.appendChild(row); });
    if (pager) {
      pager.hidden = pages < 2;
      pager.querySelector("[data-page=prev]").disabled = page === 0;
      pager.querySelector("[data-page=next]").disabled = page >= pages - 1;
      pager.querySelector(".page").textContent = "第 " + (page + 1) + " / " + pages + " 页";
    }
  }
  function filter() {
    var wanted = words();
    visible = rows.filter(function (row) { return matches(row, wanted); });
    points.forEach(function (point) {
      point.style.display = matches(point, []) ? "" : "none";
    });
    var active = selects.filter(function (select) { return select.value !== ""; })
      .map(function (select) { return select.getAttribute("aria-label") + "：" + select.value; });
    if (wanted.length) active.push("搜索：" + wanted.join(" "));
    if (shown) {
      shown.textContent = "显示 " + visible.length + " / " + rows.length + " 个项目"
        + (active.length ? "（" + active.join("，") + "）" : "");
    }
    page = 0;
    render();
  }
  Array.prototype.forEach.call(headings, function (th, column) {
    var button = th.querySelector("button");
    if (!button) return;
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(headings, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      function key(row) {
        var cell = row.cells[column];
        var sort = cell.getAttribute("data-sort");
        if (sort !== null) return sort === "" ? null : Number(sort);
        var text = cell.textContent.trim();
        return text === "" || text === "—" ? null : text;
      }
      var keyed = rows.map(function (row, at) { return {row: row, key: key(row), at: at}; });
      keyed.sort(function (a, b) {
        var x = a.key, y = b.key;
        if (x === null || y === null) return x === y ? a.at - b.at : (x === null ? 1 : -1);
        var order = typeof x === "number" && typeof y === "number"
          ? x - y : String(x).localeCompare(String(y), "zh-CN");
        return (ascending ? order : -order) || a.at - b.at;
      });
      rows = keyed.map(function (item) { return item.row; });
      filter();
    });
  });
  selects.forEach(function (select) { select.addEventListener("change", filter); });
  if (search) search.addEventListener("input", filter);
  if (pager) {
    pager.addEventListener("click", function (event) {
      var step = event.target.getAttribute("data-page");
      if (!step) return;
      page += step === "next" ? 1 : -1;
      render();
      table.scrollIntoView();
    });
  }
  filter();
})();
"""

#: Rows of the projects table on one page.
PAGE_SIZE = 100
#: Above this many projects the scatter chart (a point each) is left out.
SCATTER_LIMIT = 2000

_COLUMNS = (
    "项目名称",
    "预算单位",
    "年度",
    "预算数（元）",
    "执行率",
    "自评合计（填报）",
    "各项相加",
    "复核合计",
    "偏离度",
    "错误",
    "警告",
    "复核状态",
    "运行",
    "来源文件",
)
_UNIT_COLUMNS = (
    "预算单位",
    "项目数",
    "自评等级（填报）",
    "复核等级",
    "自评满分",
    "自评−复核（平均）",
    "自评−复核（最大）",
    "平均偏离度",
    "错误",
    "警告",
    "雷同评分规则",
)
_SELF_COLOUR, _REVIEWED_COLOUR = "#d4a72c", "#0969da"


def _grades(counts: dict[str, int]) -> str:
    """Grade counts best first as text: ``优秀 2、良好 1``; ``—`` for none."""
    return "、".join(f"{grade} {counts[grade]}" for grade in grade_order(counts)) or "—"


#: What the page's template may call besides the values it is given.
_HELPERS = {
    "score": fmt.score,
    "money": fmt.money,
    "rate": fmt.rate,
    "grades": _grades,
    "run_states": RUN_STATES,
    "severity_labels": SEVERITY_LABELS,
}


def _charts(rows: list[PortfolioRow]) -> dict[str, Markup | None] | None:
    """The two SVG charts (drawn and escaped by ``charts``); None with nothing to chart."""
    scales = by_grade_scale(rows)
    if not scales:
        return None
    charts = []
    for title, group in scales:  # one chart a scale: 优秀 and 优 are not two grades of one
        declared, reviewed = grade_counts(group)
        grades = grade_order([*declared, *reviewed])
        charts.append(
            grouped_bars(
                f"等级分布（{title}）" if len(scales) > 1 else "等级分布：自评与复核",
                grades,
                [
                    Series("自评（填报等级）", [declared.get(g, 0) for g in grades], _SELF_COLOUR),
                    Series("复核", [reviewed.get(g, 0) for g in grades], _REVIEWED_COLOUR),
                ],
                y_label="项目数",
                css_class="chart grades",
            )
        )
    bars = "".join(charts)
    if len(rows) > SCATTER_LIMIT:
        return {"bars": Markup(bars), "scatter": None}
    points = [
        Point(
            f.self_total,
            f.reviewed,
            f"{row.name}（{row.unit_name}）：自评 {fmt.score(f.self_total)}，"
            f"复核 {fmt.score(f.reviewed)}",
            {
                "unit": row.unit_name,
                "self-grade": f.self_grade,
                "reviewed-grade": f.reviewed_grade_label,
                "status": f.status,
            },
        )
        for row in rows
        if (f := row.figures) is not None
    ]
    dots = scatter(
        "各项目自评得分与复核得分",
        points,
        x_label="自评得分",
        y_label="复核得分",
        diagonal="复核 = 自评",
        css_class="chart totals",
    )
    # Safe: charts.py builds the SVG from numbers and escapes every label it draws.
    return {"bars": Markup(bars), "scatter": Markup(dots)}


def _filters(rows: list[PortfolioRow]) -> dict[str, list[str]]:
    """The choices of the filters: units in run order, grades best first, review states in
    the order a review goes through them."""
    declared, reviewed = grade_counts(rows)
    return {
        "units": list(dict.fromkeys(row.unit_name for row in rows)),
        "self_grades": grade_order(declared),
        "reviewed_grades": grade_order(reviewed),
        "statuses": [
            status
            for status in STATUSES
            if any(row.figures is not None and row.figures.status == status for row in rows)
        ],
    }


def index_html(
    rows: list[PortfolioRow],
    *,
    unreadable: list[str] | None = None,
    without_form: list[str] | None = None,
    generated_at: str = "",
    title: str = "绩效自评复核汇总",
    summary_href: str | None = None,
) -> str:
    """The whole ``index.html`` page; ``summary_href`` links the run's summary workbook."""
    counts = {state: sum(1 for row in rows if row.state == state) for state in RUN_STATES}
    units = unit_summaries(rows)
    meta = (
        f"共 {len(rows)} 个项目（{len(units)} 个预算单位）：完成 {counts['done']}，"
        f"未变 {counts['skipped']}，失败 {counts['failed']}"
        + (f"；{len(unreadable)} 个文件无法读取" if unreadable else "")
        + (f"。生成于 {generated_at}" if generated_at else "")
    )
    context: dict[str, Any] = {
        "title": title,
        "meta": meta,
        "summary_href": summary_href,
        "css": Markup(_CSS),  # ours, constant
        "script": Markup(_SCRIPT),  # ours, constant
        "charts": _charts(rows),
        "filters": _filters(rows),
        "project_columns": _COLUMNS,
        "unit_columns": _UNIT_COLUMNS,
        "rows": rows,
        "units": units,
        "checks": check_counts(rows),
        "rules": shared_rules(rows),
        "unreadable": unreadable or [],
        "without_form": without_form or [],
    }
    context["page_size"] = PAGE_SIZE
    context["scatter_limit"] = SCATTER_LIMIT
    return environment.get_template("index.html.j2", globals=_HELPERS).render(context)
