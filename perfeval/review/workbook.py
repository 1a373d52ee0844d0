"""The review workbook's contract, and reading back what a reviewer typed into it.

``show.xlsx`` writes ``review.xlsx`` with these sheet names, this header row and these
labels; ``review.importing`` takes the 复核得分 / 调整理由 a reviewer filled in back
through ``read_review_workbook``. Both sides use the names here, so they cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..exceptions import FormError, PerfevalError
from ..read.sheets import Sheet, read_sheets

__all__ = [
    "BUDGET_LABEL",
    "COLUMNS",
    "FINDINGS_SHEET",
    "FINDING_COLUMNS",
    "FORMAT_VERSION",
    "HEADER_ROW",
    "META_SHEET",
    "NAME_COLUMNS",
    "ORIGINAL_SHEET",
    "REVIEW_SHEET",
    "TOTAL_LABELS",
    "EditedRow",
    "ReviewWorkbook",
    "WrittenScore",
    "read_review_workbook",
    "split_actual",
    "with_actual",
]

REVIEW_SHEET, FINDINGS_SHEET, ORIGINAL_SHEET, META_SHEET = "复核表", "检查发现", "原表", "_perfeval"
#: The review table's header row on 复核表; the rows above it are the header block.
HEADER_ROW = 6
#: The practitioners' columns (财政部门复核表), then who reviewed, when, and what perfeval found.
COLUMNS = (
    "一级指标", "二级指标", "三级指标", "指标值", "权重", "自评完成值", "自评得分",
    "复核完成值", "复核得分", "偏离度", "调整理由", "复核人", "复核时间", "备注", "检查发现",
)  # fmt: skip
#: The column that names the indicator (``指标名称`` in workbooks of perfeval 0.2 and before).
NAME_COLUMNS = ("三级指标", "指标名称")
#: How a reviewer's 复核完成值 is kept: at the end of the adjustment's reason.
_ACTUAL = re.compile(r"（复核完成值：(.*)）\Z", re.DOTALL)
FINDING_COLUMNS = ("等级", "检查项", "对象", "发现", "依据", "建议")
TOTAL_LABELS = ("填报合计", "各项相加", "复核合计")
#: The national form's budget row, written (not adjustable) just above the totals.
BUDGET_LABEL = ("项目资金", "预算执行")
FORMAT_VERSION = "1"


def with_actual(reason: str, actual: str) -> str:
    """The reason an adjustment records for a 调整理由 and a 复核完成值 typed beside it."""
    reason, actual = reason.strip(), actual.strip()
    return f"{reason}（复核完成值：{actual}）" if actual else reason


def split_actual(reason: str) -> tuple[str, str]:
    """An adjustment's reason as the two columns it was typed in: 调整理由, 复核完成值."""
    found = _ACTUAL.search(reason)
    if found is None:
        return reason, ""
    return reason[: found.start()].strip(), found.group(1).strip()


@dataclass(frozen=True)
class WrittenScore:
    """An indicator's 复核得分 and 调整理由 as the workbook was written."""

    score: Decimal | None
    reason: str


@dataclass(frozen=True)
class EditedRow:
    """A row of the review table as read back: the cells a reviewer may have filled."""

    row: int
    indicator: str
    score: object
    reason: str


@dataclass
class ReviewWorkbook:
    """What a review workbook says about itself, and its table as read back."""

    path: Path
    fields: dict[str, str]
    written: dict[str, WrittenScore] = field(default_factory=dict)
    rows: list[EditedRow] = field(default_factory=list)

    def get(self, name: str) -> str:
        """A field of the identity ('key', 'source_path', 'sheet', 'project', …), '' if absent."""
        return self.fields.get(name, "")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_review_workbook(path: Path) -> ReviewWorkbook:
    """A review workbook's identity and table; PerfevalError when it cannot be read.

    Read like a form (``read.sheets``): streamed and bounded, so a small file that unpacks
    into millions of cells is refused or read only as far as a review sheet reaches.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            if not handle.read(4).startswith(b"PK\x03\x04"):
                raise PerfevalError(f"{path}: 不是 .xlsx 工作簿；请确认复核表已保存为 .xlsx")
        grids = {grid.name: grid for grid in read_sheets(path)}
    except FormError as error:
        raise PerfevalError(f"无法读取复核工作簿：{error}") from None
    except OSError as error:
        raise PerfevalError(f"{path}: 无法读取复核工作簿（{error.strerror or error}）") from None
    if META_SHEET not in grids:
        raise PerfevalError(
            f"{path}: 不是 perfeval 生成的复核工作簿（缺少隐藏工作表“{META_SHEET}”），无法导入"
        )
    result = _read_meta(path, grids[META_SHEET])
    name = result.get("review_sheet") or REVIEW_SHEET
    if name not in grids:
        raise PerfevalError(f"{path}: 工作簿中没有“{name}”工作表；请勿重命名或删除该工作表")
    result.rows = _read_table(path, grids[name])
    return result


def _values(sheet: Sheet, first: int = 1) -> Iterator[tuple[int, list[object]]]:
    for number, row in enumerate(sheet.rows[first - 1 :], start=first):
        yield number, [cell.value for cell in row]


def _read_meta(path: Path, sheet: Sheet) -> ReviewWorkbook:
    result = ReviewWorkbook(path, {})
    in_table = False
    for number, values in _values(sheet):
        key, value, reason = [*values, None, None, None][:3]
        if not _text(key):
            continue
        if not in_table:
            in_table = _text(key) == "indicators"
            result.fields[_text(key)] = _text(value)
            continue
        try:
            score = Decimal(_text(value)) if _text(value) else None
        except InvalidOperation:
            raise PerfevalError(
                f"{path}: 隐藏工作表“{META_SHEET}”第{number}行已被改动，无法导入；请重新生成复核表"
            ) from None
        result.written[_text(key)] = WrittenScore(score, _text(reason))
    if result.get("format_version") != FORMAT_VERSION or not result.get("key"):
        raise PerfevalError(
            f"{path}: 隐藏工作表“{META_SHEET}”缺少项目信息或版本不符，无法导入；请重新生成复核表"
        )
    return result


def _read_table(path: Path, sheet: Sheet) -> list[EditedRow]:
    """The rows between the header (found by its labels) and the totals."""
    header: dict[str, int] = {}
    header_row = 0
    for number, values in _values(sheet):
        if number > 40:
            break
        labels = {_text(v): i for i, v in enumerate(values)}
        if {"复核得分", "调整理由"} <= labels.keys() and labels.keys() & set(NAME_COLUMNS):
            header, header_row = labels, number
            break
    if not header:
        raise PerfevalError(
            f"{path} 工作表“{sheet.name}”: 找不到表头（应有“三级指标”“复核得分”“调整理由”三列，"
            f"生成时在第{HEADER_ROW}行）"
        )
    name = next(header[label] for label in NAME_COLUMNS if label in header)
    at = [header.get("一级指标", -1), name, header["复核得分"], header["调整理由"],
          header.get("复核完成值", -1)]  # fmt: skip
    rows: list[EditedRow] = []
    for number, values in _values(sheet, header_row + 1):
        category, indicator, score, reason, actual = (
            values[i] if 0 <= i < len(values) else None for i in at
        )
        if _text(indicator) in TOTAL_LABELS or (_text(category), _text(indicator)) == BUDGET_LABEL:
            break
        reason = with_actual(_text(reason), _text(actual))
        if _text(indicator) or _text(score) or reason:
            rows.append(EditedRow(number, _text(indicator), score, reason))
    return rows
