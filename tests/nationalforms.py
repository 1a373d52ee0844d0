"""Fixture forms in the Ministry of Finance layout (项目支出绩效自评表, 财预〔2020〕10号).

A form is described by a ``NationalForm`` (header, 项目资金 block, 年度总体目标,
indicator rows, 总分) holding every cell as the person filling it in typed it; tests
make variants with ``dataclasses.replace`` and the helpers below, then write it as a
text export (``write_tsv``: merged cells flattened to their first cell, numbers as
Excel shows them) or as the workbook such an export comes from (``write_xlsx``: the
official 10-column sheet with its merges — 项目资金 and 年度总体目标 merged down,
the 一级/二级 labels merged down their groups, 偏差原因 across two columns — money as
``#,##0.00``, rates as ``0.00%``).

Three forms ship as ``examples/national/``: ``clean_form()`` (nothing to find),
``defective_form()`` (the defects reviewers report) and ``yuan_form()`` (a block
headed 万元 filled in yuan). ``python tests/nationalforms.py`` rewrites them.

Nothing here imports perfeval: the fixtures must not share the reader's mistakes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from formgen import Merge, Rows, typed_value, write_tsv

__all__ = [
    "EXAMPLES",
    "BudgetLine",
    "IndicatorRow",
    "NationalForm",
    "clean_form",
    "defective_form",
    "form_rows",
    "with_budget",
    "with_indicator",
    "write_examples",
    "write_form_tsv",
    "write_form_xlsx",
    "yuan_form",
]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "national"
WIDTH = 10  # A: section labels, B–D: levels, E–F: values, G–H: points, I–J: 偏差原因


@dataclass(frozen=True)
class BudgetLine:
    """One row of the 项目资金 block as written (the 其中 rows are unscored: "—")."""

    label: str
    initial: str
    adjusted: str
    executed: str
    weight: str = "—"
    rate: str = "—"
    score: str = "—"


@dataclass(frozen=True)
class IndicatorRow:
    """One row of the indicator table as written."""

    category: str
    level2: str
    name: str
    target: str
    actual: str
    weight: str
    score: str
    reason: str = ""


@dataclass(frozen=True)
class NationalForm:
    name: str
    unit: str
    department: str
    year: int
    budget: tuple[BudgetLine, ...]
    goal: str
    performance: str
    indicators: tuple[IndicatorRow, ...]
    total_score: str
    total_weight: str = "100"
    budget_unit: str = "万元"
    notes: tuple[str, ...] = field(default=())


# --- the three example forms ---------------------------------------------------------


def clean_form() -> NationalForm:
    """社区老年人助餐服务补贴: every figure adds up, every shortfall is explained."""
    produce, benefit, satisfied = "产出指标", "效益指标", "满意度指标"
    return NationalForm(
        name="2023年度社区老年人助餐服务补贴项目",
        unit="上海市东湖区民政局",
        department="上海市东湖区养老服务指导中心",
        year=2023,
        budget=(
            BudgetLine("年度资金总额", "320.00", "300.00", "291.00", "10", "97.00%", "9.70"),
            BudgetLine("其中：当年财政拨款", "300.00", "280.00", "271.00"),
            BudgetLine("上年结转资金", "20.00", "20.00", "20.00"),
            BudgetLine("其他资金", "0.00", "0.00", "0.00"),
        ),
        goal=(
            "全年为辖区内60周岁以上老年人提供社区助餐服务不少于36万人次，新建社区长者食堂"
            "2家、社区助餐点6个，助餐服务覆盖全部12个街镇；按时足额拨付助餐补贴，保障就餐"
            "食品安全，老年人对助餐服务的满意度达到90%以上。"
        ),
        performance=(
            "全年累计提供助餐服务38.6万人次，新建社区长者食堂2家、社区助餐点5个（1个助餐点"
            "因选址调整顺延至次年），助餐服务覆盖全部12个街镇；补贴资金按季度拨付，全年未"
            "发生食品安全事故，第三方问卷调查显示老年人满意度为93.6%。"
        ),
        indicators=(
            IndicatorRow(
                produce, "数量指标", "助餐服务人次", "≥36万人次", "38.6万人次", "10", "10"
            ),
            IndicatorRow(produce, "数量指标", "助餐服务覆盖街镇数", "12个", "12个", "5", "5"),
            IndicatorRow(produce, "数量指标", "新建社区长者食堂数量", "2家", "2家", "5", "5"),
            IndicatorRow(
                produce,
                "数量指标",
                "新建社区助餐点数量",
                "6个",
                "5个",
                "5",
                "4.17",
                "1个助餐点原选址房屋产权存在争议，需重新选址，已列入2024年计划，"
                "预计一季度建成投用。",
            ),
            IndicatorRow(produce, "质量指标", "食品安全事故发生次数", "0起", "0起", "5", "5"),
            IndicatorRow(produce, "质量指标", "助餐场所验收合格率", "100%", "100%", "10", "10"),
            IndicatorRow(produce, "时效指标", "补贴资金拨付及时率", "≥95%", "98.2%", "5", "5"),
            IndicatorRow(produce, "成本指标", "每客餐补贴标准", "≤8元/客", "8元/客", "5", "5"),
            IndicatorRow(
                benefit,
                "社会效益指标",
                "老年人就餐难问题缓解情况",
                "有效缓解",
                "有效缓解",
                "10",
                "10",
            ),
            IndicatorRow(
                benefit,
                "社会效益指标",
                "高龄、独居等困难老人就餐占比",
                "≥40%",
                "45.3%",
                "10",
                "10",
            ),
            IndicatorRow(
                benefit,
                "可持续影响指标",
                "社区助餐长效运营机制",
                "建立健全",
                "基本建立",
                "10",
                "7",
                "助餐运营补贴动态调整办法尚在征求意见，拟于2024年上半年印发实施。",
            ),
            IndicatorRow(
                satisfied,
                "服务对象满意度指标",
                "老年人助餐服务满意度",
                "≥90%",
                "93.6%",
                "10",
                "10",
            ),
        ),
        total_score="95.87",
    )


def defective_form() -> NationalForm:
    """农村生活污水处理设施运维: the defects a reviewer reports on this form.

    Budget score taken against 年初预算数 (8.10 instead of 9.00); the 其中 rows short of
    the 全年预算数 total; 产出 65 / 效益 15 (far from 50 / 30); 管网巡查 full marks at
    20 of 24 with no reason; 出水水质 scored below its formula; a 成本 indicator written
    ≥; 基本改善 scored as 达成; satisfaction from 未收到投诉; 总分 1 point high.
    """
    produce, benefit, satisfied = "产出指标", "效益指标", "满意度指标"
    return NationalForm(
        name="2023年度农村生活污水处理设施运维项目",
        unit="上海市东湖区水务局",
        department="上海市东湖区水务事务中心",
        year=2023,
        budget=(
            BudgetLine("年度资金总额", "500.00", "450.00", "405.00", "10", "90.00%", "8.10"),
            BudgetLine("其中：当年财政拨款", "450.00", "400.00", "375.00"),
            BudgetLine("上年结转资金", "50.00", "30.00", "30.00"),
            BudgetLine("其他资金", "—", "—", "—"),
        ),
        goal=(
            "完成全区120座农村生活污水处理设施的日常运维，管网巡查每月不少于2次，出水水质"
            "达标率不低于90%，故障48小时内处置到位，持续改善农村水环境。"
        ),
        performance=(
            "全年完成120座设施日常运维，开展管网巡查20次，出水水质达标率85%，故障平均处置"
            "时间36小时，农村水环境基本改善。"
        ),
        indicators=(
            IndicatorRow(
                produce, "数量指标", "运维污水处理设施数量", "≥120座", "120座", "15", "15"
            ),
            IndicatorRow(produce, "数量指标", "管网巡查次数", "≥24次", "20次", "10", "10"),
            IndicatorRow(
                produce,
                "质量指标",
                "出水水质达标率",
                "≥90%",
                "85%",
                "15",
                "12",
                "部分设施进水浓度波动较大，下一年度将加密水质抽检频次并更换老化设备。",
            ),
            IndicatorRow(produce, "质量指标", "设施正常运行率", "≥95%", "达成预期指标", "10", "10"),
            IndicatorRow(produce, "时效指标", "故障处置时限", "≤48小时", "36小时", "5", "5"),
            IndicatorRow(
                produce, "成本指标", "单座设施年运维成本", "≥3.5万元", "3.2万元", "10", "10"
            ),
            IndicatorRow(
                benefit, "生态效益指标", "农村水环境改善情况", "明显改善", "基本改善", "10", "10"
            ),
            IndicatorRow(benefit, "可持续影响指标", "设施长效运维机制", "健全", "较好", "5", "5"),
            IndicatorRow(
                satisfied, "服务对象满意度指标", "周边村民满意度", "≥90%", "未收到投诉", "10", "10"
            ),
        ),
        total_score="96.10",
        notes=("填表人：王明    联系电话：021-64000000    填报日期：2024年3月20日",),
    )


def yuan_form() -> NationalForm:
    """家庭医生签约服务补助: clean, but its block headed 万元 is filled in yuan."""
    produce, benefit, satisfied = "产出指标", "效益指标", "满意度指标"
    return NationalForm(
        name="2023年度家庭医生签约服务补助项目",
        unit="上海市东湖区卫生健康委员会",
        department="上海市东湖区社区卫生服务管理中心",
        year=2023,
        budget=(
            BudgetLine(
                "年度资金总额",
                "1,850,000.00",
                "1,800,000.00",
                "1,800,000.00",
                "10",
                "100.00%",
                "10",
            ),
            BudgetLine("其中：当年财政拨款", "1,850,000.00", "1,800,000.00", "1,800,000.00"),
            BudgetLine("上年结转资金", "0.00", "0.00", "0.00"),
            BudgetLine("其他资金", "0.00", "0.00", "0.00"),
        ),
        goal="重点人群家庭医生签约率达到75%以上，签约居民年度健康评估全覆盖，签约居民满意度不低于90%。",
        performance="重点人群家庭医生签约率达到78.4%，签约居民年度健康评估覆盖率100%，签约居民满意度为92.1%。",
        indicators=(
            IndicatorRow(
                produce, "数量指标", "重点人群家庭医生签约率", "≥75%", "78.4%", "20", "20"
            ),
            IndicatorRow(
                produce, "质量指标", "签约居民年度健康评估覆盖率", "100%", "100%", "20", "20"
            ),
            IndicatorRow(produce, "时效指标", "签约服务补助拨付时间", "≤30天", "25天", "10", "10"),
            IndicatorRow(
                benefit,
                "社会效益指标",
                "签约居民基层就诊率",
                "≥60%",
                "57%",
                "30",
                "28.5",
                "部分签约居民仍习惯前往二、三级医院就诊，下一年度将扩大长处方和延伸处方服务。",
            ),
            IndicatorRow(
                satisfied, "服务对象满意度指标", "签约居民满意度", "≥90%", "92.1%", "10", "10"
            ),
        ),
        total_score="98.50",
    )


# --- variants ------------------------------------------------------------------------


def with_indicator(form: NationalForm, indicator: str, /, **changes: str) -> NationalForm:
    """A copy with one indicator row changed (found by its 三级指标; ``name=`` renames it)."""
    rows = list(form.indicators)
    index = next(i for i, row in enumerate(rows) if row.name == indicator)
    rows[index] = replace(rows[index], **changes)
    return replace(form, indicators=tuple(rows))


def with_budget(form: NationalForm, label: str, /, **changes: str) -> NationalForm:
    """A copy with one 项目资金 row changed (by its label as written)."""
    lines = list(form.budget)
    index = next(i for i, line in enumerate(lines) if line.label == label)
    lines[index] = replace(lines[index], **changes)
    return replace(form, budget=tuple(lines))


# --- the grid ------------------------------------------------------------------------


def _row(cells: dict[int, str]) -> list[str]:
    """A row of WIDTH cells from 1-based column → text."""
    row = [""] * WIDTH
    for column, text in cells.items():
        row[column - 1] = text
    return row


def form_rows(form: NationalForm) -> tuple[Rows, list[Merge]]:
    """The form as rows of text (what a text export holds) and the workbook's merges."""
    rows: Rows = []
    merges: list[Merge] = []

    def add(cells: dict[int, str], *spans: tuple[int, int]) -> int:
        rows.append(_row(cells))
        number = len(rows)
        merges.extend((number, left, number, right) for left, right in spans)
        return number

    add({1: "项目支出绩效自评表"}, (1, WIDTH))
    add({1: f"（{form.year}年度）"}, (1, WIDTH))
    add({1: "项目名称", 2: form.name}, (2, WIDTH))
    add({1: "主管部门", 2: form.unit, 6: "实施单位", 7: form.department}, (2, 5), (7, WIDTH))
    heading = add(
        {
            1: f"项目资金（{form.budget_unit}）" if form.budget_unit else "项目资金",
            4: "年初预算数",
            5: "全年预算数",
            6: "全年执行数",
            7: "分值",
            8: "执行率",
            9: "得分",
        },
        (2, 3),
        (9, 10),
    )
    for line in form.budget:
        add(
            {
                2: line.label,
                4: line.initial,
                5: line.adjusted,
                6: line.executed,
                7: line.weight,
                8: line.rate,
                9: line.score,
            },
            (2, 3),
            (9, 10),
        )
    merges.append((heading, 1, len(rows), 1))
    goal = add({1: "年度总体目标", 2: "预期目标", 7: "实际完成情况"}, (2, 6), (7, WIDTH))
    add({2: form.goal, 7: form.performance}, (2, 6), (7, WIDTH))
    merges.append((goal, 1, goal + 1, 1))
    table = add(
        {
            1: "绩效指标",
            2: "一级指标",
            3: "二级指标",
            4: "三级指标",
            5: "年度指标值",
            6: "实际完成值",
            7: "分值",
            8: "得分",
            9: "偏差原因分析及改进措施",
        },
        (9, 10),
    )
    previous: tuple[str, str] | None = None
    for row in form.indicators:
        cells = {4: row.name, 5: row.target, 6: row.actual, 7: row.weight, 8: row.score}
        cells[9] = row.reason
        if previous is None or previous[0] != row.category:
            cells[2] = row.category
        if previous is None or previous != (row.category, row.level2):
            cells[3] = row.level2
        previous = (row.category, row.level2)
        add(cells, (9, 10))
    merges.append((table, 1, len(rows), 1))
    merges.extend(_runs(rows, table + 1, len(rows), 2))
    merges.extend(_runs(rows, table + 1, len(rows), 3))
    add({1: "总分", 7: form.total_weight, 8: form.total_score}, (1, 6), (9, 10))
    for note in form.notes:
        add({1: note}, (1, WIDTH))
    return rows, merges


def _runs(rows: Rows, first: int, last: int, column: int) -> list[Merge]:
    """Merges down a column: each filled cell over the blank cells below it."""
    merges: list[Merge] = []
    starts = [r for r in range(first, last + 1) if rows[r - 1][column - 1]]
    for start, end in zip(starts, [*starts[1:], last + 1], strict=True):
        if end - 1 > start:
            merges.append((start, column, end - 1, column))
    return merges


# --- writers -------------------------------------------------------------------------

#: Columns whose cells are numbers in the workbook: the block's figures, 分值 and 得分.
_BLOCK_NUMBERS = range(4, 10)
_TABLE_NUMBERS = (7, 8)


def write_form_tsv(form: NationalForm, path: Path, encoding: str = "utf-8") -> Path:
    rows, _ = form_rows(form)
    return write_tsv(rows, path, encoding=encoding)


def write_form_xlsx(
    forms: NationalForm | Sequence[tuple[str, NationalForm]],
    path: Path,
    merges: bool = True,
) -> Path:
    """The form (or several, one a sheet) as the official workbook."""
    import openpyxl
    from openpyxl.styles import Alignment

    sheets = [("自评表", forms)] if isinstance(forms, NationalForm) else list(forms)
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    wrap = Alignment(wrap_text=True, vertical="center")
    for title, form in sheets:
        worksheet = workbook.create_sheet(title)
        rows, ranges = form_rows(form)
        covered = {
            (r, c)
            for top, left, bottom, right in ranges
            for r in range(top, bottom + 1)
            for c in range(left, right + 1)
            if (r, c) != (top, left)
        }
        table = next(i for i, row in enumerate(rows, start=1) if row[3] == "三级指标")
        heading = next(i for i, row in enumerate(rows, start=1) if row[3] == "年初预算数")
        for r, row in enumerate(rows, start=1):
            for c, text in enumerate(row, start=1):
                if text == "" or (merges and (r, c) in covered):
                    continue
                numeric = (heading < r < table and c in _BLOCK_NUMBERS) or (
                    r > table and c in _TABLE_NUMBERS
                )
                value, number_format = typed_value(text) if numeric else (text, None)
                cell = worksheet.cell(row=r, column=c, value=value)
                if number_format:
                    cell.number_format = number_format
                if isinstance(value, str):
                    cell.alignment = wrap
        if merges:
            for top, left, bottom, right in ranges:
                worksheet.merge_cells(
                    start_row=top, start_column=left, end_row=bottom, end_column=right
                )
    workbook.save(path)
    return path


def write_examples(folder: Path = EXAMPLES) -> list[Path]:
    """The bundled examples: a clean workbook, a defective text export, a 元 workbook."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_form_xlsx(clean_form(), folder / "2023_社区老年人助餐服务补贴.xlsx"),
        write_form_tsv(defective_form(), folder / "2023_农村生活污水处理设施运维.txt"),
        write_form_xlsx(yuan_form(), folder / "2023_家庭医生签约服务补助.xlsx"),
    ]


if __name__ == "__main__":
    for written in write_examples(Path(sys.argv[1]) if len(sys.argv) > 1 else EXAMPLES):
        print(written)
