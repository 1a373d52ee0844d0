"""The review workbook's contract, and reading back what a reviewer typed into it.

``show.xlsx`` writes ``review.xlsx`` with these sheet names, this header row and these
labels; ``review.importing`` takes the 复核得分 / 调整理由 a reviewer filled in back
through ``read_review_workbook``. Both sides use the names here, so they cannot drift.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from ..exceptions import PerfevalError
from ..read.sheets import MAX_UNPACKED_BYTES

__all__ = [
    "BUDGET_LABEL",
    "COLUMNS",
    "FINDINGS_SHEET",
    "FINDING_COLUMNS",
    "FORMAT_VERSION",
    "HEADER_ROW",
    "META_SHEET",
    "ORIGINAL_SHEET",
    "REVIEW_SHEET",
    "TOTAL_LABELS",
    "EditedRow",
    "ReviewWorkbook",
    "WrittenScore",
    "read_review_workbook",
]

#: A review workbook unpacks to far less than this; a larger one is not one of ours.
MAX_REVIEW_UNPACKED = 64 * 1024 * 1024

REVIEW_SHEET, FINDINGS_SHEET, ORIGINAL_SHEET, META_SHEET = "复核表", "检查发现", "原表", "_perfeval"
#: The review table's header row on 复核表; the rows above it are the header block.
HEADER_ROW = 6
COLUMNS = ("一级指标", "指标名称", "权重", "自评得分", "复核得分", "偏离度", "调整理由", "检查发现")
FINDING_COLUMNS = ("等级", "检查项", "对象", "发现", "依据", "建议")
TOTAL_LABELS = ("填报合计", "各项相加", "复核合计")
#: The national form's budget row, written (not adjustable) just above the totals.
BUDGET_LABEL = ("项目资金", "预算执行")
FORMAT_VERSION = "1"


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
    """A review workbook's identity and table; PerfevalError when it cannot be read."""
    path = Path(path)
    try:
        data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > min(MAX_UNPACKED_BYTES, MAX_REVIEW_UNPACKED):
            raise PerfevalError(
                f"{path}: 工作簿解压后过大（{unpacked // 1048576} MB），不像复核工作簿，拒绝读取"
            )
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except PerfevalError:
        raise
    except OSError as error:
        raise PerfevalError(f"{path}: 无法读取复核工作簿（{error.strerror or error}）") from None
    except Exception as error:  # zipfile and openpyxl raise many kinds for a broken file
        raise PerfevalError(
            f"{path}: 不是可读取的 Excel 工作簿（{type(error).__name__}: {error}）；请确认已保存为 .xlsx"
        ) from None
    try:
        if META_SHEET not in workbook.sheetnames:
            raise PerfevalError(
                f"{path}: 不是 perfeval 生成的复核工作簿（缺少隐藏工作表“{META_SHEET}”），无法导入"
            )
        result = _read_meta(path, workbook[META_SHEET])
        name = result.get("review_sheet") or REVIEW_SHEET
        if name not in workbook.sheetnames:
            raise PerfevalError(f"{path}: 工作簿中没有“{name}”工作表；请勿重命名或删除该工作表")
        result.rows = _read_table(path, workbook[name])
        return result
    finally:
        workbook.close()


def _read_meta(path: Path, sheet: Worksheet) -> ReviewWorkbook:
    result = ReviewWorkbook(path, {})
    in_table = False
    for number, (key, value, reason) in enumerate(
        sheet.iter_rows(min_col=1, max_col=3, values_only=True), start=1
    ):
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


def _read_table(path: Path, sheet: Worksheet) -> list[EditedRow]:
    """The rows between the header (found by its labels) and the totals."""
    header: dict[str, int] = {}
    header_row = 0
    for number, values in enumerate(sheet.iter_rows(max_row=40, values_only=True), start=1):
        labels = {_text(v): i for i, v in enumerate(values)}
        if {"指标名称", "复核得分", "调整理由"} <= labels.keys():
            header, header_row = labels, number
            break
    if not header:
        raise PerfevalError(
            f"{path} 工作表“{sheet.title}”: 找不到表头（应有“指标名称”“复核得分”“调整理由”三列，"
            f"生成时在第{HEADER_ROW}行）"
        )
    at = [header.get("一级指标", -1), header["指标名称"], header["复核得分"], header["调整理由"]]
    rows: list[EditedRow] = []
    for number, values in enumerate(
        sheet.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1
    ):
        category, name, score, reason = (values[i] if 0 <= i < len(values) else None for i in at)
        if _text(name) in TOTAL_LABELS or (_text(category), _text(name)) == BUDGET_LABEL:
            break
        if _text(name) or _text(score) or _text(reason):
            rows.append(EditedRow(number, _text(name), score, _text(reason)))
    return rows
