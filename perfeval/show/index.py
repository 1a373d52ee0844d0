"""The portfolio page of a batch run: ``index.html``.

From top to bottom: two charts (grades self vs reviewed; each project's self
total against its reviewed total), the projects table (unit, budget, execution
rate, the three totals and grades, 偏离度, errors, warnings, review status, how
its run went, links to its review, notebook and workbook), the units table (see
``perfeval.portfolio.unit_summaries``), the scoring rules projects share, and how
often each check fired.

One self-contained file: the CSS, the SVG charts and the few lines of JavaScript
that sort every table (click a column heading) and filter the projects (by unit, self
grade, reviewed grade, review status, check and 重复报送, and by words; filters and
sorting combine, the grade bars are recounted and the scatter chart's points hidden to
follow the filters; a check's project count filters the projects to those it fired
on) are inline; nothing is loaded from outside, and it prints on A4 landscape. A
project sent twice is one row (``portfolio.one_per_project``) naming both sources.
Each unit links its 复核报告. Everything a form says is HTML-escaped, in the charts too.

The markup is in ``templates/index.html.j2``, rendered by Jinja2 with autoescaping:
form text (project names, units, file names, errors, rules, check titles) reaches the
page only through it. The stylesheet, the script and the SVG charts (whose labels
``perfeval.show.charts`` escapes) are ours and are passed in marked safe.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import Markup

from .. import fmt
from ..findings import SEVERITY_LABELS
from ..review.portfolio import (
    GRADE_SCALES,
    RESUBMITTED,
    RUN_STATES,
    SUSPECTED,
    CheckCount,
    PortfolioRow,
    by_grade_scale,
    check_counts,
    grade_counts,
    grade_order,
    grade_scale,
    grades_text,
    shared_rules,
    unit_summaries,
)
from ..review.store import STATUSES
from .charts import FONT_STACK, Point, Series, grouped_bars, scatter
from .templating import environment
from .unitreport import report_href

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
.copy {{ font-size: 0.9em; color: #57606a; }}
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
# second click reverses; blanks last) every table, filters the projects (every select
# box and the search words must match; the 检查项 and 重复报送 boxes match one of a row's
# space-separated values) and pages the whole list; the grade bars are recounted and the
# scatter chart's points shown or hidden to follow the filters.
_SCRIPT = """
(function () {
  function list(items) { return Array.prototype.slice.call(items); }
  // Sorting: by data-sort numbers where a cell has one, else by text in Chinese collation;
  // a second click reverses; blanks last; ties keep their order.
  function sortKey(row, column) {
    var cell = row.cells[column];
    if (!cell) return null;
    var sort = cell.getAttribute("data-sort");
    if (sort !== null) return sort === "" ? null : Number(sort);
    var text = cell.textContent.trim();
    return text === "" || text === "—" ? null : text;
  }
  function sortable(table, rowsOf, done) {
    var headings = table.tHead.rows[0].cells;
    list(headings).forEach(function (th, column) {
      var button = th.querySelector("button");
      if (!button) return;
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        list(headings).forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var keyed = rowsOf().map(function (row, at) {
          return {row: row, key: sortKey(row, column), at: at};
        });
        keyed.sort(function (a, b) {
          var x = a.key, y = b.key;
          if (x === null || y === null) return x === y ? a.at - b.at : (x === null ? 1 : -1);
          var order = typeof x === "number" && typeof y === "number"
            ? x - y : String(x).localeCompare(String(y), "zh-CN");
          return (ascending ? order : -order) || a.at - b.at;
        });
        done(keyed.map(function (item) { return item.row; }));
      });
    });
  }
  list(document.querySelectorAll("table[data-sortable]")).forEach(function (other) {
    var otherBody = other.tBodies[0];
    sortable(other, function () { return list(otherBody.rows); }, function (sorted) {
      sorted.forEach(function (row) { otherBody.appendChild(row); });
    });
  });

  var table = document.getElementById("projects");
  if (!table) return;
  var body = table.tBodies[0];
  var rows = list(body.rows);
  var more = document.getElementById("more-projects");
  if (more) rows = rows.concat(list(more.content.querySelectorAll("tr")));
  var pageSize = Number(table.getAttribute("data-page-size")) || rows.length || 1;
  var selects = list(document.querySelectorAll("select[data-filter]"));
  var search = document.getElementById("search");
  var points = list(document.querySelectorAll("svg .point"));
  var charts = list(document.querySelectorAll("svg.grades"));
  var shown = document.getElementById("shown");
  var pager = document.getElementById("pager");
  var visible = rows, page = 0;
  function words() {
    return search ? search.value.toLowerCase().split(/\\s+/).filter(Boolean) : [];
  }
  function matches(element, wanted) {
    var chosen = selects.every(function (select) {
      if (select.value === "") return true;
      var value = element.getAttribute("data-" + select.getAttribute("data-filter")) || "";
      if (select.getAttribute("data-match") === "token") {
        return (" " + value + " ").indexOf(" " + select.value + " ") >= 0;
      }
      return value === select.value;
    });
    if (!chosen || !wanted.length) return chosen;
    if (element.searchText === undefined) element.searchText = element.textContent.toLowerCase();
    return wanted.every(function (word) { return element.searchText.indexOf(word) >= 0; });
  }
  // The grade bars count the projects shown: each bar is data-count="SERIES|GRADE", SERIES
  // naming the rows' attribute, on the chart of the rows' data-scale.
  function redrawBars() {
    charts.forEach(function (chart) {
      var scale = chart.getAttribute("data-scale");
      var base = Number(chart.getAttribute("data-base"));
      var step = Number(chart.getAttribute("data-step"));
      var counts = {};
      visible.forEach(function (row) {
        if (row.getAttribute("data-scale") !== scale) return;
        ["self-grade", "reviewed-grade"].forEach(function (series) {
          var key = series + "|" + row.getAttribute("data-" + series);
          counts[key] = (counts[key] || 0) + 1;
        });
      });
      list(chart.querySelectorAll("[data-count]")).forEach(function (mark) {
        var n = counts[mark.getAttribute("data-count")] || 0;
        if (mark.tagName.toLowerCase() === "rect") {
          mark.setAttribute("y", String(base - n * step));
          mark.setAttribute("height", String(n * step));
          mark.querySelector("title").textContent = mark.getAttribute("data-title") + "：" + n;
        } else {
          mark.setAttribute("y", String(base - n * step - 3));
          mark.textContent = String(n);
        }
      });
    });
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
    redrawBars();
    var active = selects.filter(function (select) { return select.value !== ""; })
      .map(function (select) {
        return select.getAttribute("aria-label") + "：" + select.options[select.selectedIndex].text;
      });
    if (wanted.length) active.push("搜索：" + wanted.join(" "));
    if (shown) {
      shown.textContent = "显示 " + visible.length + " / " + rows.length + " 个项目"
        + (active.length ? "（" + active.join("，") + "）" : "");
    }
    page = 0;
    render();
  }
  sortable(table, function () { return rows; }, function (sorted) { rows = sorted; filter(); });
  selects.forEach(function (select) { select.addEventListener("change", filter); });
  if (search) search.addEventListener("input", filter);
  // A check's project count shows the projects it fired on.
  var checkFilter = document.querySelector("select[data-filter=checks]");
  list(document.querySelectorAll("a[data-show-check]")).forEach(function (link) {
    link.addEventListener("click", function () {
      if (!checkFilter) return;
      checkFilter.value = link.getAttribute("data-show-check");
      filter();
    });
  });
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


def _charts(rows: list[PortfolioRow]) -> dict[str, Markup | None] | None:
    """The two SVG charts (drawn and escaped by ``charts``); None with nothing to chart."""
    scales = by_grade_scale(rows)
    if not scales:
        return None
    charts = []
    for scale, group in scales:  # one chart a scale: 优秀 and 优 are not two grades of one
        declared, reviewed = grade_counts(group)
        grades = grade_order([*declared, *reviewed])
        title = GRADE_SCALES[scale][0]
        # The keys name the rows' data-* attributes the page's script counts the bars from.
        charts.append(
            grouped_bars(
                f"等级分布（{title}）" if len(scales) > 1 else "等级分布：自评与复核",
                grades,
                [
                    Series(
                        "自评（填报等级）",
                        [declared.get(g, 0) for g in grades],
                        _SELF_COLOUR,
                        key="self-grade",
                    ),
                    Series(
                        "复核",
                        [reviewed.get(g, 0) for g in grades],
                        _REVIEWED_COLOUR,
                        key="reviewed-grade",
                    ),
                ],
                y_label="项目数",
                css_class="chart grades",
                data={"scale": str(scale)},
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
            _row_data(row),
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


def _row_data(row: PortfolioRow) -> dict[str, str]:
    """What the page's filters and charts read from a project's row (and its point): its
    unit, grades, review status, the checks that fired on it (a space-separated list),
    whether it was sent more than once, and its grade scale (which bar chart counts it)."""
    f = row.figures
    return {
        "unit": row.unit_name,
        "self-grade": f.self_grade if f else "",
        "reviewed-grade": f.reviewed_grade_label if f else "",
        "status": f.status if f else "",
        "checks": " ".join(sorted(check for check, n in f.checks.items() if n)) if f else "",
        "resubmitted": " ".join(
            flag for flag, on in ((RESUBMITTED, row.resubmitted), (SUSPECTED, row.namesakes)) if on
        ),
        "scale": str(grade_scale(f)) if f else "",
    }


def _filters(rows: list[PortfolioRow], checks: list[CheckCount]) -> list[dict[str, Any]]:
    """The filters over the projects: units in run order, grades best first, review states
    in the order a review goes through them, the checks that fired (most projects first),
    and 重复报送 when a project came in twice. Each: its row attribute, its label, what
    "all" is called, its choices as (value, label), and whether a row's attribute is a list
    of values (``token``)."""
    declared, reviewed = grade_counts(rows)
    statuses = [
        status
        for status in STATUSES
        if any(row.figures is not None and row.figures.status == status for row in rows)
    ]

    def same(values: Iterable[str]) -> list[tuple[str, str]]:
        return [(value, value) for value in values]

    filters = [
        ("unit", "预算单位", "全部单位", same(dict.fromkeys(row.unit_name for row in rows))),
        ("self-grade", "自评等级", "全部", same(grade_order(declared))),
        ("reviewed-grade", "复核等级", "全部", same(grade_order(reviewed))),
        ("status", "复核状态", "全部", same(statuses)),
        ("checks", "检查项", "全部", [(c.check, f"{c.title}（{c.projects}）") for c in checks]),
    ]
    flags = [flag for flag, on in ((RESUBMITTED, any(row.resubmitted for row in rows)),
                                   (SUSPECTED, any(row.namesakes for row in rows))) if on]  # fmt: skip
    filters.append(("resubmitted", "重复报送", "全部", same(flags)))
    return [
        {"name": name, "label": label, "everything": everything, "options": options,
         "token": name in ("checks", "resubmitted")}
        for name, label, everything, options in filters
        if options
    ]  # fmt: skip


#: What the page's template may call besides the values it is given.
_HELPERS = {
    "score": fmt.score,
    "money": fmt.money,
    "rate": fmt.rate,
    "grades": grades_text,
    "run_states": RUN_STATES,
    "severity_labels": SEVERITY_LABELS,
    "row_data": _row_data,
    "report_href": report_href,
}


def index_html(
    rows: list[PortfolioRow],
    *,
    unreadable: list[str] | None = None,
    without_form: list[str] | None = None,
    generated_at: str = "",
    title: str = "绩效自评复核汇总",
    summary_href: str | None = None,
    reports: set[str] | None = None,
) -> str:
    """The whole ``index.html`` page; ``summary_href`` links the run's summary workbook,
    ``reports`` names the units whose 复核报告 it links (``perfeval.show.unitreport``)."""
    runs = [run for row in rows for run in row.files]
    counts = {state: sum(1 for run in runs if run.state == state) for state in RUN_STATES}
    units = unit_summaries(rows)
    checks = check_counts(rows)
    copies = sum(len(row.copies) for row in rows)
    suspected = sum(1 for row in rows if row.namesakes)
    meta = (
        f"共 {len(rows)} 个项目（{len(units)} 个预算单位）"
        + (f"，另有 {copies} 份{RESUBMITTED}（同一项目的另一份文件，只计一次）" if copies else "")
        + (
            f"，{suspected} 个项目{SUSPECTED}（年度、单位与项目名称相同而内容不同，分别计入）"
            if suspected
            else ""
        )
        + f"：完成 {counts['done']}，未变 {counts['skipped']}，失败 {counts['failed']}"
        + (f"；{len(unreadable)} 个文件无法读取" if unreadable else "")
        + (f"。生成于 {generated_at}" if generated_at else "")
    )
    context: dict[str, Any] = {
        "title": title,
        "meta": meta,
        "summary_href": summary_href,
        "reports": reports or set(),
        "css": Markup(_CSS),  # ours, constant
        "script": Markup(_SCRIPT),  # ours, constant
        "charts": _charts(rows),
        "filters": _filters(rows, checks),
        "project_columns": _COLUMNS,
        "unit_columns": _UNIT_COLUMNS,
        "rows": rows,
        "units": units,
        "checks": checks,
        "rules": shared_rules(rows),
        "unreadable": unreadable or [],
        "without_form": without_form or [],
    }
    context["page_size"] = PAGE_SIZE
    context["scatter_limit"] = SCATTER_LIMIT
    return environment.get_template("index.html.j2", globals=_HELPERS).render(context)
