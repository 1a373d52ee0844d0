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
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from .. import fmt
from ..findings import SEVERITY_LABELS
from ..review.portfolio import (
    RUN_STATES,
    CheckCount,
    PortfolioRow,
    ProjectFigures,
    SharedRule,
    UnitSummary,
    check_counts,
    grade_counts,
    grade_order,
    shared_rules,
    unit_summaries,
)
from .charts import FONT_STACK, Point, Series, grouped_bars, scatter

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
.filters select {{ font: inherit; }}
#rules td.rule {{ width: 55%; }}
section.problems {{ margin-top: 16px; }}
@media print {{
  html {{ font-size: 9pt; }}
  body {{ max-width: none; padding: 0; }}
  * {{ overflow: visible !important; }}
  thead {{ display: table-header-group; }}
  tr, svg {{ break-inside: avoid; }}
  th button::after {{ content: "" !important; }}
  .filters select, .filters label {{ display: none; }}
  .charts {{ flex-wrap: nowrap; }}
  .charts svg {{ width: 49%; }}
  a {{ color: inherit; text-decoration: none; }}
}}
"""

# Sorting: by data-sort (numbers) where a cell has one, else by text in Chinese
# collation; a second click reverses; blank values sort last. Filtering: a row (or a
# chart point) shows when it matches every select box; hidden rows stay hidden
# whichever way the table is sorted.
_SCRIPT = """
(function () {
  var table = document.getElementById("projects");
  if (!table) return;
  var body = table.tBodies[0];
  var headings = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(headings, function (th, column) {
    var button = th.querySelector("button");
    if (!button) return;
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(headings, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
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
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var points = Array.prototype.slice.call(document.querySelectorAll("svg .point"));
  var shown = document.getElementById("shown");
  function matches(element) {
    return selects.every(function (select) {
      var name = "data-" + select.getAttribute("data-filter");
      return select.value === "" || element.getAttribute(name) === select.value;
    });
  }
  function filter() {
    var count = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var show = matches(row);
      row.hidden = !show;
      if (show) count += 1;
    });
    points.forEach(function (point) { point.style.display = matches(point) ? "" : "none"; });
    var active = selects.filter(function (select) { return select.value !== ""; })
      .map(function (select) { return select.getAttribute("aria-label") + "：" + select.value; });
    if (shown) {
      shown.textContent = "显示 " + count + " / " + body.rows.length + " 个项目"
        + (active.length ? "（" + active.join("，") + "）" : "");
    }
  }
  selects.forEach(function (select) { select.addEventListener("change", filter); });
  filter();
})();
"""

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
_SELF_COLOUR, _REVIEWED_COLOUR = "#d4a72c", "#0969da"


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _sort(value: Decimal | int | None) -> str:
    return "" if value is None else _e(value)


def _number_cell(value: Decimal | int | None, shown: str) -> str:
    return f'<td class="num" data-sort="{_sort(value)}">{_e(shown)}</td>'


def _total_cell(total: Decimal | None, grade: str | None) -> str:
    label = _e(fmt.score(total)) + (f' <span class="grade">{_e(grade)}</span>' if grade else "")
    return f'<td class="num" data-sort="{_sort(total)}">{label}</td>'


def _figure_cells(figures: ProjectFigures | None) -> list[str]:
    if figures is None:
        blank = '<td class="num" data-sort="">—</td>'
        return [blank] * 8 + ["<td>—</td>"]
    deviation = figures.deviation
    return [
        _number_cell(figures.budget, fmt.money(figures.budget)),
        _number_cell(figures.execution_rate, fmt.rate(figures.execution_rate)),
        _total_cell(figures.declared, figures.declared_grade),
        _total_cell(figures.computed, figures.computed_grade),
        _total_cell(figures.reviewed, figures.reviewed_grade),
        _number_cell(deviation, fmt.rate(deviation)),
        _number_cell(figures.errors, str(figures.errors)),
        _number_cell(figures.warnings, str(figures.warnings)),
        f"<td>{_e(figures.status or '—')}</td>",
    ]


def _project_row(row: PortfolioRow) -> str:
    name = _e(row.name)
    title = f'<a href="{_e(row.review_href)}">{name}</a>' if row.review_href else name
    if row.notebook_href:
        title += f' <a class="aside" href="{_e(row.notebook_href)}">（笔记本）</a>'
    if row.workbook_href:
        title += f' <a class="aside" href="{_e(row.workbook_href)}">（工作簿）</a>'
    state = f'<span class="state-{_e(row.state)}">{_e(RUN_STATES.get(row.state, row.state))}</span>'
    if row.error:
        state += f'<div class="error">{_e(row.error)}</div>'
    cells = [
        f"<td>{title}</td>",
        f"<td>{_e(row.unit_name)}</td>",
        f'<td class="num" data-sort="{_e(row.year or "")}">{_e(row.year or "—")}</td>',
        *_figure_cells(row.figures),
        f"<td>{state}</td>",
        f"<td>{_e(row.source)}</td>",
    ]
    figures = row.figures
    data = {
        "unit": row.unit_name,
        "self-grade": figures.self_grade if figures else "",
        "reviewed-grade": figures.reviewed_grade_label if figures else "",
    }
    attributes = "".join(f' data-{name}="{_e(value)}"' for name, value in data.items())
    css = ' class="failed"' if row.state == "failed" else ""
    return f"<tr{css}{attributes}>{''.join(cells)}</tr>"


def _select(name: str, label: str, everything: str, options: list[str]) -> str:
    choices = "".join(f'<option value="{_e(o)}">{_e(o)}</option>' for o in options)
    return (
        f'<label>{_e(label)} <select data-filter="{_e(name)}" aria-label="{_e(label)}">'
        f'<option value="">{_e(everything)}</option>{choices}</select></label>'
    )


def _filters(rows: list[PortfolioRow]) -> str:
    units = list(dict.fromkeys(row.unit_name for row in rows))
    declared, reviewed = grade_counts(rows)
    return (
        '<div class="filters">'
        + _select("unit", "预算单位", "全部单位", units)
        + _select("self-grade", "自评等级", "全部", grade_order(declared))
        + _select("reviewed-grade", "复核等级", "全部", grade_order(reviewed))
        + '<span id="shown"></span></div>'
    )


def _charts(rows: list[PortfolioRow]) -> str:
    declared, reviewed = grade_counts(rows)
    if not declared:
        return '<p class="note">没有可汇总的复核结果。</p>'
    grades = grade_order([*declared, *reviewed])
    bars = grouped_bars(
        "等级分布：自评与复核",
        grades,
        [
            Series("自评（填报等级）", [declared.get(g, 0) for g in grades], _SELF_COLOUR),
            Series("复核", [reviewed.get(g, 0) for g in grades], _REVIEWED_COLOUR),
        ],
        y_label="项目数",
        css_class="chart grades",
    )
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
    return f'<section class="charts">{bars}{dots}</section>'


def _grades(counts: dict[str, int]) -> str:
    return "、".join(f"{grade} {counts[grade]}" for grade in grade_order(counts)) or "—"


def _unit_row(unit: UnitSummary) -> str:
    full = f"{unit.full_marks}/{unit.projects}"
    if unit.all_full_marks:
        full += ' <span class="flag">全部自评满分</span>'
    cells = [
        f"<td>{_e(unit.unit)}</td>",
        _number_cell(unit.projects, str(unit.projects)),
        f"<td>{_e(_grades(unit.self_grades))}</td>",
        f"<td>{_e(_grades(unit.reviewed_grades))}</td>",
        f'<td class="num">{full}</td>',
        _number_cell(unit.gap_mean, fmt.score(unit.gap_mean)),
        _number_cell(unit.gap_max, fmt.score(unit.gap_max)),
        _number_cell(unit.deviation_mean, fmt.rate(unit.deviation_mean)),
        _number_cell(unit.errors, str(unit.errors)),
        _number_cell(unit.warnings, str(unit.warnings)),
        _number_cell(len(unit.shared_rules), str(len(unit.shared_rules))),
    ]
    css = ' class="flagged"' if unit.all_full_marks else ""
    return f"<tr{css}>{''.join(cells)}</tr>"


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


def _head(columns: tuple[str, ...]) -> str:
    return (
        "<thead><tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in columns) + "</tr></thead>"
    )


def _units(units: list[UnitSummary]) -> str:
    table = (
        f'<table id="units">{_head(_UNIT_COLUMNS)}<tbody>'
        + "".join(_unit_row(unit) for unit in units)
        + "</tbody></table>"
    )
    note = (
        '<p class="note">自评以填报合计为准（未填合计时为各项相加）；偏离度 =（自评 − 复核）/ 自评；'
        "一个单位的项目（两个及以上）全部自评满分时标出；雷同评分规则：在本单位两个及以上项目中"
        "出现的同一评分规则（忽略空格与分值标注），见下文“雷同评分规则”中加粗的单位。</p>"
    )
    return table + note


def _rules_table(rules: list[SharedRule]) -> str:
    """One row per rule: in how many projects, and how many of them each unit has (in bold
    where the rule recurs within the unit)."""
    rows = []
    for rule in rules:
        listed = "<br>".join(
            f"<strong>{_e(unit)} {count}</strong>" if count >= 2 else f"{_e(unit)} {count}"
            for unit, count in rule.per_unit.items()
        )
        rows.append(
            "<tr>"
            f'<td class="rule">{_e(rule.text)}</td>'
            + _number_cell(rule.count, str(rule.count))
            + f"<td>{listed}</td><td>{_e('、'.join(rule.projects))}</td></tr>"
        )
    columns = ("评分规则", "项目数", "预算单位（项目数）", "项目")
    return f'<table id="rules">{_head(columns)}<tbody>{"".join(rows)}</tbody></table>'


def _checks(counts: list[CheckCount]) -> str:
    if not counts:
        return '<p class="note">没有检查发现。</p>'
    rows = "".join(
        "<tr>"
        f"<td>{_e(c.title)}</td><td>{_e(c.check)}</td>"
        f"<td>{_e(SEVERITY_LABELS.get(c.severity or '', '—'))}</td>"
        + _number_cell(c.findings, str(c.findings))
        + _number_cell(c.projects, str(c.projects))
        + "</tr>"
        for c in counts
    )
    columns = ("检查项", "编号", "等级", "发现数", "涉及项目数")
    return f'<table id="checks">{_head(columns)}<tbody>{rows}</tbody></table>'


def _problems(heading: str, items: list[str]) -> str:
    if not items:
        return ""
    listed = "".join(f"<li>{_e(item)}</li>" for item in items)
    return f'<section class="problems"><h2>{_e(heading)}</h2><ul>{listed}</ul></section>'


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
    headings = "".join(f'<th scope="col"><button type="button">{c}</button></th>' for c in _COLUMNS)
    body = "".join(_project_row(row) for row in rows)
    summary = (
        f'汇总表：<a href="{_e(summary_href)}">{_e(summary_href)}</a>。' if summary_href else ""
    )
    shared = shared_rules(rows)
    shared_section = (
        _rules_table(shared)
        if shared
        else '<p class="note">没有在两个及以上项目中雷同的评分规则。</p>'
    )
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
<p class="meta">{_e(meta)}。{summary}</p>
{_charts(rows)}
<h2>项目</h2>
{_filters(rows)}
<table id="projects">
<thead><tr>{headings}</tr></thead>
<tbody>{body}</tbody>
</table>
<p class="note">点击表头排序；筛选与排序可同时使用，散点图随筛选变化。</p>
<h2>按预算单位</h2>
{_units(units)}
<h2>按检查项</h2>
{_checks(check_counts(rows))}
<h2>雷同评分规则</h2>
{shared_section}
{_problems("无法读取的文件", unreadable or [])}
{_problems("没有自评表的工作表（已跳过）", without_form or [])}
<script>{_SCRIPT}</script>
</body>
</html>
"""
