"""Reading a form: every format and layout of the seed reads to the same evaluation,
values are normalised, and bad input fails with one line naming the place.

The fixture files are made from the seed at test time by ``formgen``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import formgen as fg
import pytest

from perfeval import (
    Evaluation,
    FormError,
    NoFormError,
    PerfevalError,
    UnsupportedFileError,
    read_form,
    read_forms,
)
from perfeval.grades import grade_for
from perfeval.read.normalise import split_category

Rows = fg.Rows
Make = Callable[[Rows, Path], Path]


def content(evaluation: Evaluation) -> dict[str, Any]:
    """What an evaluation says, apart from where it came from."""
    data = evaluation.to_json()
    del data["source"]
    return data


def read_one(path: Path) -> Evaluation:
    evaluations, skipped = read_form(path)
    assert len(evaluations) == 1
    assert skipped == []
    return evaluations[0]


@pytest.fixture(scope="module")
def seed() -> Evaluation:
    return read_one(fg.SEED_TSV)


@pytest.fixture(scope="module")
def rows() -> Rows:
    return fg.seed_rows()


# --- one form, every format and layout --------------------------------------------


def copy_seed_xlsx(rows: Rows, path: Path) -> Path:
    path.write_bytes(fg.SEED_XLSX.read_bytes())
    return path


VARIANTS: list[tuple[str, str, Make]] = [
    ("tsv-utf8", "form.txt", lambda r, p: fg.write_tsv(r, p)),
    ("tsv-utf8-bom", "form.txt", lambda r, p: fg.write_tsv(r, p, bom=True)),
    ("tsv-gb18030", "form.txt", lambda r, p: fg.write_tsv(r, p, encoding="gb18030")),
    ("tsv-utf16", "form.txt", lambda r, p: fg.write_tsv(r, p, encoding="utf-16")),
    ("tsv-crlf", "form.tsv", lambda r, p: fg.write_tsv(r, p, newline="\r\n")),
    (
        "tsv-quoted-line-breaks",
        "form.txt",
        lambda r, p: fg.write_tsv(fg.break_category_labels(r), p),
    ),
    ("csv", "form.csv", lambda r, p: fg.write_tsv(r, p, delimiter=",")),
    (
        "csv-quoted-line-breaks-gb18030-crlf",
        "form.csv",
        lambda r, p: fg.write_tsv(
            fg.break_category_labels(r), p, encoding="gb18030", delimiter=",", newline="\r\n"
        ),
    ),
    ("xlsx", "form.xlsx", lambda r, p: fg.write_xlsx(r, p)),
    ("xlsm-named", "form.xlsm", lambda r, p: fg.write_xlsx(r, p)),
    ("xlsx-no-merges", "form.xlsx", lambda r, p: fg.write_xlsx(r, p, merges=[])),
    ("xlsx-all-text", "form.xlsx", lambda r, p: fg.write_xlsx(r, p, formats=False)),
    ("xlsx-as-shipped", "form.xlsx", copy_seed_xlsx),
    ("xls", "form.xls", lambda r, p: fg.write_xls(r, p)),
    ("xls-all-text", "form.xls", lambda r, p: fg.write_xls(r, p, formats=False)),
    ("shifted-tsv", "form.txt", lambda r, p: fg.write_tsv(fg.shift_columns(r, 1), p)),
    ("shifted-xlsx", "form.xlsx", lambda r, p: fg.write_xlsx(fg.shift_columns(r, 1), p)),
    ("shifted-3-xls", "form.xls", lambda r, p: fg.write_xls(fg.shift_columns(r, 3), p)),
    ("blank-rows-tsv", "form.txt", lambda r, p: fg.write_tsv(fg.insert_blank_rows(r), p)),
    ("blank-columns-tsv", "form.txt", lambda r, p: fg.write_tsv(fg.insert_blank_columns(r), p)),
    (
        "blank-rows-and-columns-xlsx",
        "form.xlsx",
        lambda r, p: fg.write_xlsx(fg.insert_blank_columns(fg.insert_blank_rows(r)), p),
    ),
    ("reordered-tsv", "form.txt", lambda r, p: fg.write_tsv(fg.reorder_header_rows(r), p)),
    ("reordered-xlsx", "form.xlsx", lambda r, p: fg.write_xlsx(fg.reorder_header_rows(r), p)),
    ("full-width-tsv", "form.txt", lambda r, p: fg.write_tsv(fg.full_width(r), p)),
    ("full-width-xlsx", "form.xlsx", lambda r, p: fg.write_xlsx(fg.full_width(r), p)),
    (
        "everything-at-once-xls",
        "form.xls",
        lambda r, p: fg.write_xls(
            fg.full_width(
                fg.reorder_header_rows(fg.insert_blank_rows(fg.shift_columns(r, 2), (0, 9, 20)))
            ),
            p,
        ),
    ),
]


@pytest.mark.parametrize(
    ("filename", "make"), [v[1:] for v in VARIANTS], ids=[v[0] for v in VARIANTS]
)
def test_every_variant_reads_as_the_seed(
    tmp_path: Path, rows: Rows, seed: Evaluation, filename: str, make: Make
) -> None:
    path = make(rows, tmp_path / filename)
    evaluation = read_one(path)
    assert evaluation.source.path == str(path)
    assert content(evaluation) == content(seed)


LIARS: list[tuple[str, str, Make]] = [
    ("xlsx-named-txt", "form.txt", lambda r, p: fg.write_xlsx(r, p)),
    ("shipped-xlsx-named-csv", "form.csv", copy_seed_xlsx),
    ("xls-named-xlsx", "form.xlsx", lambda r, p: fg.write_xls(r, p)),
    ("tsv-named-xls", "form.xls", lambda r, p: fg.write_tsv(r, p)),
    ("gb18030-tsv-named-xlsx", "form.xlsx", lambda r, p: fg.write_tsv(r, p, encoding="gb18030")),
]


@pytest.mark.parametrize(("filename", "make"), [v[1:] for v in LIARS], ids=[v[0] for v in LIARS])
def test_content_not_the_name_decides_the_format(
    tmp_path: Path, rows: Rows, seed: Evaluation, filename: str, make: Make
) -> None:
    assert content(read_one(make(rows, tmp_path / filename))) == content(seed)


def test_workbook_and_export_give_equal_models(
    tmp_path: Path, rows: Rows, seed: Evaluation
) -> None:
    """Not only the JSON: the dataclasses compare equal too (rows aside)."""
    workbook = read_one(fg.write_xlsx(rows, tmp_path / "form.xlsx"))
    assert workbook.project == seed.project
    assert workbook.indicators == seed.indicators
    assert workbook.declared_total == seed.declared_total
    assert workbook.source.sheet == "自评表"
    assert seed.source.sheet is None


# --- the seed's facts ----------------------------------------------------------------


def test_seed_facts(seed: Evaluation) -> None:
    project = seed.project
    assert seed.title == "2020年度财政项目绩效自评价"
    assert seed.year == 2020
    assert project.name == "(党建办) 组团式服务联系群众专项"
    assert project.unit == "上海市闵行区人民政府古美路街道办事处"
    assert project.department == "党建办"
    assert project.recurring is None  # blank on the form
    assert project.budget == Decimal("242400") and isinstance(project.budget, Decimal)
    assert project.executed == Decimal("242400")
    assert project.prior_year_rate == Decimal(0)
    assert project.execution_rate == Decimal(1)
    assert project.evaluated_on == date(2021, 7, 16)
    assert project.grade == "优"
    assert project.goal is not None and project.goal.startswith("项目总目标：形成“六个一”")
    assert project.problems is not None and "工作计划制定的有效性存在欠缺" in project.problems
    assert project.measures is not None and project.measures.startswith("项目为经常性项目")

    assert len(seed.indicators) == 13
    assert sum(i.weight for i in seed.indicators) == 100
    assert [i.name for i in seed.indicators if i.self_score is None] == ["政策知晓率"]
    assert sum(i.self_score or 0 for i in seed.indicators) == 89
    assert seed.declared_total.weight == 100
    assert seed.declared_total.self_score == 96

    rule = seed.indicator("资金使用的合规性")
    assert rule is not None and rule.rule is None and rule.weight == 6
    assert rule.explanation is not None and "（2分）" in rule.explanation
    managed = seed.indicator("项目管理制度健全性和执行的有效性")
    assert managed is not None
    assert (managed.weight, managed.self_score, managed.remark) == (4, 2, "项目管理有待完善。")
    assert seed.indicators[0].row == 15  # rows as the file numbers them


def test_categories_are_split_and_carried_down(seed: Evaluation) -> None:
    expected = (
        [("投入与管理", 36)] * 5
        + [("项目完成率", 14)] * 3
        + [("产出目标", 34)] * 2
        + [("效果目标", 15)] * 2
        + [("影响力目标", 15)]
    )
    assert [(i.category, i.category_points) for i in seed.indicators] == expected


@pytest.mark.parametrize(
    ("label", "name", "points"),
    [
        ("投入与 管理 (36分)", "投入与管理", Decimal(36)),
        ("投入与\n管理\n(36分)", "投入与管理", Decimal(36)),
        ("投入与管理（３６分）", "投入与管理", Decimal(36)),
        ("产出目标(12.5分)", "产出目标", Decimal("12.5")),
        ("产出目标", "产出目标", None),
        (None, None, None),
    ],
)
def test_split_category(label: str | None, name: str | None, points: Decimal | None) -> None:
    assert split_category(label) == (name, points)


def test_notes_and_grade_bands(seed: Evaluation) -> None:
    assert len(seed.notes) == 3
    assert seed.notes[0].startswith("说明：1、依据本项目")
    assert "90（含）-100分为优秀" in seed.notes[1]
    bands = [
        (b.grade, b.lower, b.upper, b.lower_inclusive, b.upper_inclusive) for b in seed.grade_bands
    ]
    assert bands == [
        ("优秀", 90, 100, True, True),
        ("良好", 75, 90, True, False),
        ("合格", 60, 75, True, False),
        ("不合格", 0, 60, True, False),
    ]


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        ("100", "优秀"),
        ("96", "优秀"),
        ("90", "优秀"),
        ("89.99", "良好"),
        ("89", "良好"),
        ("75", "良好"),
        ("74.5", "合格"),
        ("60", "合格"),
        ("59.9", "不合格"),
        ("0", "不合格"),
    ],
)
def test_grade_bands_include_their_lower_bound(seed: Evaluation, total: str, grade: str) -> None:
    assert grade_for(Decimal(total), seed.grade_bands) == grade


# --- normalising values ----------------------------------------------------------


@pytest.mark.parametrize("writer", ["tsv", "xlsx", "xls"])
@pytest.mark.parametrize(
    ("label", "column", "text", "attribute", "expected"),
    [
        ("当年预算数(元)", "B", "1,234,567.89", "budget", Decimal("1234567.89")),
        ("预算执行数(元)", "B", "0.10", "executed", Decimal("0.1")),
        ("预算执行率(%)", "G", "85.50%", "execution_rate", Decimal("0.855")),
        ("预算执行率(%)", "G", "85.50", "execution_rate", Decimal("0.855")),
        ("上年预算完成率(%)", "G", "100.00", "prior_year_rate", Decimal(1)),
        ("上年预算完成率(%)", "G", "0.00", "prior_year_rate", Decimal(0)),
        ("是否为经常性项目", "G", "是", "recurring", True),
        ("是否为经常性项目", "G", "否", "recurring", False),
        ("自评时间", "B", "2021年7月16日", "evaluated_on", date(2021, 7, 16)),
        ("自评时间", "B", "2021-07-16", "evaluated_on", date(2021, 7, 16)),
        ("自评时间", "B", "2020/12/31", "evaluated_on", date(2020, 12, 31)),
        ("绩效等级", "B", "  优 ", "grade", "优"),
        ("改进措施", "B", "第一条\n第二条  \t第三条", "measures", "第一条 第二条 第三条"),
    ],
)
def test_header_values_are_normalised(
    tmp_path: Path,
    rows: Rows,
    writer: str,
    label: str,
    column: str,
    text: str,
    attribute: str,
    expected: object,
) -> None:
    changed = fg.set_cell(rows, label, column, text)
    path = tmp_path / f"form.{writer}"
    if writer == "tsv":
        fg.write_tsv(changed, path)
    elif writer == "xlsx":
        fg.write_xlsx(changed, path)
    else:
        fg.write_xls(changed, path)
    value = getattr(read_one(path).project, attribute)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("suffix", ["txt", "xlsx"])
def test_money_in_ten_thousands_is_read_in_yuan(tmp_path: Path, rows: Rows, suffix: str) -> None:
    changed = fg.set_cell(rows, "当年预算数(元)", "A", "当年预算数（万元）")
    changed = fg.set_cell(changed, "当年预算数(万元)", "B", "24.24")
    path = tmp_path / f"form.{suffix}"
    (fg.write_tsv if suffix == "txt" else fg.write_xlsx)(changed, path)
    assert read_one(path).project.budget == Decimal(242400)


def test_tab_inside_a_quoted_csv_cell(tmp_path: Path, rows: Rows, seed: Evaluation) -> None:
    """A tab in one cell of a CSV file does not make the file tab-separated."""
    changed = fg.set_cell(rows, "项目设立的规范性", "备注", "见附件\t一")
    evaluation = read_one(fg.write_tsv(changed, tmp_path / "form.csv", delimiter=","))
    indicator = evaluation.indicator("项目设立的规范性")
    assert indicator is not None and indicator.remark == "见附件 一"
    assert len(evaluation.indicators) == len(seed.indicators)


def test_scores_are_exact_decimals(tmp_path: Path, rows: Rows) -> None:
    changed = fg.set_cell(rows, "长效管理机制健全性", "自评分", "7.35")
    for path in (
        fg.write_tsv(changed, tmp_path / "f.txt"),
        fg.write_xlsx(changed, tmp_path / "f.xlsx"),
    ):
        indicator = read_one(path).indicator("长效管理机制健全性")
        assert indicator is not None and indicator.self_score == Decimal("7.35")


def test_weight_with_units_and_blank_marks(tmp_path: Path, rows: Rows) -> None:
    changed = fg.set_cell(rows, "项目设立的规范性", "权重", "５分")
    changed = fg.set_cell(changed, "项目设立的规范性", "自评分", "—")
    indicator = read_one(fg.write_tsv(changed, tmp_path / "f.txt")).indicator("项目设立的规范性")
    assert indicator is not None
    assert (indicator.weight, indicator.self_score) == (5, None)


# --- several forms -------------------------------------------------------------------

UNRELATED: Rows = [
    ["序号", "项目名称", "预算数(元)"],
    ["1", "社区活动", "1,000.00"],
    ["2", "慰问", "500.00"],
]


@pytest.mark.parametrize("suffix", ["xlsx", "xls"])
def test_workbook_with_several_forms(
    tmp_path: Path, rows: Rows, seed: Evaluation, suffix: str
) -> None:
    second = fg.set_cell(rows, "项目名称", "B", "社区睦邻中心运营")
    third = fg.set_cell(fg.shift_columns(rows, 1), "项目名称", "C", "为老服务专项")
    sheets = {"党建": rows, "睦邻": second, "填表说明": UNRELATED, "为老": third}
    path = tmp_path / f"book.{suffix}"
    (fg.write_xlsx if suffix == "xlsx" else fg.write_xls)(sheets, path)

    result = read_forms([path])
    assert result.errors == []
    assert [(e.source.sheet, e.project.name) for e in result.evaluations] == [
        ("党建", seed.project.name),
        ("睦邻", "社区睦邻中心运营"),
        ("为老", "为老服务专项"),
    ]
    assert len({e.key for e in result.evaluations}) == 3
    assert content(result.evaluations[0]) == content(seed)
    [skipped] = result.skipped
    assert isinstance(skipped, NoFormError)
    assert skipped.sheet == "填表说明"
    assert str(path) in str(skipped) and "填表说明" in str(skipped)


def test_folder_reads_good_files_and_reports_bad_ones(
    tmp_path: Path, rows: Rows, seed: Evaluation
) -> None:
    folder = tmp_path / "unit"
    (folder / "sub").mkdir(parents=True)
    good_tsv = fg.write_tsv(rows, folder / "a_form.txt")
    good_xlsx = fg.write_xlsx(rows, folder / "sub" / "b_form.xlsx")
    empty = folder / "c_empty.xlsx"
    empty.write_bytes(b"")
    broken = fg.write_tsv(
        fg.set_cell(rows, "项目设立的规范性", "权重", "五"), folder / "d_weight.csv"
    )
    (folder / "notes.md").write_text("not a form", encoding="utf-8")
    (folder / "~$b_form.xlsx").write_bytes(b"\x00lock file")  # Excel's lock file: ignored

    result = read_forms([folder])
    assert [e.source.path for e in result.evaluations] == [str(good_tsv), str(good_xlsx)]
    assert all(content(e) == content(seed) for e in result.evaluations)
    assert [(type(e), e.path) for e in result.errors] == [
        (UnsupportedFileError, str(empty)),
        (FormError, str(broken)),
    ]
    assert "第16行" in str(result.errors[1]) and "D列" in str(result.errors[1])


def test_missing_path_is_an_error_not_a_crash(tmp_path: Path) -> None:
    result = read_forms([tmp_path / "nowhere.xlsx"])
    assert result.evaluations == [] and len(result.errors) == 1
    assert "nowhere.xlsx" in str(result.errors[0])


# --- bad input -----------------------------------------------------------------------


def truncated(make: Make, keep: float) -> Make:
    def make_truncated(rows: Rows, path: Path) -> Path:
        whole = make(rows, path.with_name("whole" + path.suffix)).read_bytes()
        path.write_bytes(whole[: int(len(whole) * keep)])
        return path

    return make_truncated


def write_bytes(data: bytes) -> Make:
    def make(rows: Rows, path: Path) -> Path:
        path.write_bytes(data)
        return path

    return make


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)


def weight_five(rows: Rows) -> Rows:
    """The seed with a weight written as text (row 16, column D)."""
    return fg.set_cell(rows, "项目设立的规范性", "权重", "五")


# id, file name, how to make it, error class, what the message must name (besides the file)
BAD: list[tuple[str, str, Make, type[FormError], list[str]]] = [
    ("png-named-xlsx", "form.xlsx", write_bytes(PNG), UnsupportedFileError, ["二进制"]),
    (
        "zip-not-workbook",
        "form.xlsx",
        lambda r, p: fg.zip_without_workbook(p),
        UnsupportedFileError,
        ["xl/workbook.xml"],
    ),
    ("empty-xlsx", "form.xlsx", write_bytes(b""), UnsupportedFileError, ["为空"]),
    ("empty-txt", "form.txt", write_bytes(b""), UnsupportedFileError, ["为空"]),
    (
        "encrypted",
        "form.xlsx",
        lambda r, p: fg.encrypted_package(p),
        UnsupportedFileError,
        ["密码"],
    ),
    (
        "encrypted-legacy-xls",
        "form.xls",
        lambda r, p: fg.encrypted_xls(p),
        UnsupportedFileError,
        ["密码"],
    ),
    (
        "encrypted-named-xls",
        "form.xls",
        lambda r, p: fg.encrypted_package(p),
        UnsupportedFileError,
        ["密码"],
    ),
    ("truncated-xlsx", "form.xlsx", truncated(fg.write_xlsx, 0.5), UnsupportedFileError, ["截断"]),
    (
        "truncated-xlsx-tail",
        "form.xlsx",
        truncated(fg.write_xlsx, 0.99),
        UnsupportedFileError,
        ["截断"],
    ),
    ("truncated-xls", "form.xls", truncated(fg.write_xls, 0.3), UnsupportedFileError, ["截断"]),
    (
        "truncated-xls-tail",
        "form.xls",
        truncated(fg.write_xls, 0.95),
        UnsupportedFileError,
        ["截断"],
    ),
    (
        "no-table-xlsx",
        "form.xlsx",
        lambda r, p: fg.write_xlsx({"项目清单": UNRELATED}, p),
        NoFormError,
        ["工作表“项目清单”", "指标表"],
    ),
    (
        "no-table-in-any-sheet",
        "form.xlsx",
        lambda r, p: fg.write_xlsx({"甲": UNRELATED, "乙": [["备注"]]}, p),
        NoFormError,
        ["2 个工作表"],
    ),
    ("no-table-tsv", "form.txt", lambda r, p: fg.write_tsv(UNRELATED, p), NoFormError, ["指标表"]),
    ("blank-lines-only", "form.txt", write_bytes(b"\r\n\r\n\t\t\r\n"), NoFormError, ["指标表"]),
    (
        "header-without-rows",
        "form.txt",
        lambda r, p: fg.write_tsv(r[: fg.find_row(r, "指标名称") + 1], p),
        NoFormError,
        ["没有任何指标行"],
    ),
    (
        "weight-text-xlsx",
        "form.xlsx",
        lambda r, p: fg.write_xlsx(weight_five(r), p),
        FormError,
        ["工作表“自评表”", "第16行", "D列", "权重", "五"],
    ),
    (
        "weight-text-xls",
        "form.xls",
        lambda r, p: fg.write_xls(weight_five(r), p),
        FormError,
        ["工作表“自评表”", "第16行", "D列", "权重"],
    ),
    (
        "weight-text-tsv",
        "form.txt",
        lambda r, p: fg.write_tsv(weight_five(r), p),
        FormError,
        ["第16行", "D列", "权重", "五"],
    ),
    (
        "weight-text-shifted",
        "form.xlsx",
        lambda r, p: fg.write_xlsx(weight_five(fg.shift_columns(r, 1)), p),
        FormError,
        ["第16行", "E列", "权重"],
    ),
    (
        "weight-missing",
        "form.txt",
        lambda r, p: fg.write_tsv(fg.set_cell(r, "绩效目标合理性", "权重", ""), p),
        FormError,
        ["第17行", "D列", "绩效目标合理性"],
    ),
    (
        "score-text",
        "form.xlsx",
        lambda r, p: fg.write_xlsx(fg.set_cell(r, "受益人群满意度", "自评分", "满分"), p),
        FormError,
        ["第27行", "F列", "自评分", "满分"],
    ),
    (
        "budget-text",
        "form.xlsx",
        lambda r, p: fg.write_xlsx(fg.set_cell(r, "当年预算数(元)", "B", "二十四万"), p),
        FormError,
        ["第6行", "B列", "当年预算数"],
    ),
    (
        "date-text",
        "form.txt",
        lambda r, p: fg.write_tsv(fg.set_cell(r, "自评时间", "B", "七月中旬"), p),
        FormError,
        ["第9行", "B列", "自评时间"],
    ),
    (
        "latin1-undecodable",
        "form.csv",
        write_bytes("Projet,Coût,Société\nRésumé,100,Été\n".encode("latin-1")),
        UnsupportedFileError,
        ["编码"],
    ),
    (
        "latin1-decodes-as-rare-gb18030",
        "form.txt",
        write_bytes("Détériorée\tétés\tDéçu\n".encode("latin-1")),
        UnsupportedFileError,
        ["编码"],
    ),
    (
        "big5",
        "form.txt",
        write_bytes("項目名稱\t預算單位\t權重\t評分規則\n".encode("big5")),
        UnsupportedFileError,
        ["编码"],
    ),
    (
        "utf8-bom-then-invalid",
        "form.txt",
        write_bytes(b"\xef\xbb\xbf\xe9\xa1\xb9\xff\xfe"),
        UnsupportedFileError,
        ["UTF-8"],
    ),
]


@pytest.mark.parametrize(
    ("filename", "make", "error_class", "fragments"),
    [b[1:] for b in BAD],
    ids=[b[0] for b in BAD],
)
def test_bad_input_is_one_clear_line(
    tmp_path: Path,
    rows: Rows,
    filename: str,
    make: Make,
    error_class: type[FormError],
    fragments: list[str],
) -> None:
    path = make(rows, tmp_path / filename)
    with pytest.raises(error_class) as caught:
        read_form(path)
    error = caught.value
    assert type(error) is error_class
    assert isinstance(error, PerfevalError)
    message = str(error)
    assert message.startswith(str(path))
    assert "\n" not in message and "Traceback" not in message
    for fragment in fragments:
        assert fragment in message

    result = read_forms([path])  # the batch form: recorded, not raised
    assert result.evaluations == []
    assert [str(e) for e in result.errors] == [message]


@pytest.mark.parametrize("suffix", ["xls", "xlsx"])
def test_damaged_workbooks_never_escape_as_other_errors(
    tmp_path: Path, rows: Rows, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    """Random byte damage (seeded): the file reads, or fails with one FormError line;
    no parser exception leaks out and nothing is printed (xlrd prints by default)."""
    whole = (fg.write_xls if suffix == "xls" else fg.write_xlsx)(rows, tmp_path / f"w.{suffix}")
    data = whole.read_bytes()
    chance = random.Random(1)
    path = tmp_path / f"damaged.{suffix}"
    for _ in range(80):
        damaged = bytearray(data)
        for _ in range(chance.randint(1, 30)):
            damaged[chance.randrange(len(damaged))] = chance.randrange(256)
        path.write_bytes(bytes(damaged))
        try:
            read_form(path)
        except FormError as error:
            assert "\n" not in str(error) and str(error).startswith(str(path))
    assert capsys.readouterr() == ("", "")


def test_latin1_trap_really_decodes_as_gb18030() -> None:
    """The second Latin-1 case above is the dangerous one: it is valid GB18030."""
    data = "Détériorée\tétés\tDéçu\n".encode("latin-1")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("gb18030")
    assert any("\u4e00" <= char <= "\u9fff" for char in text)


def test_weight_error_carries_its_place(tmp_path: Path, rows: Rows) -> None:
    path = fg.write_xlsx(weight_five(rows), tmp_path / "form.xlsx")
    with pytest.raises(FormError) as caught:
        read_form(path)
    error = caught.value
    assert (error.path, error.sheet, error.row, error.column, error.field) == (
        str(path),
        "自评表",
        16,
        4,
        "权重",
    )


def test_an_error_stays_on_one_line_whatever_the_names_hold() -> None:
    from perfeval.exceptions import FormError

    error = FormError(
        "权重不是数字", path="a\nb.xlsx", sheet="表\r\n1", row=3, column=4, field="权重"
    )
    assert "\n" not in str(error) and "\r" not in str(error)
    assert str(error) == "a\\nb.xlsx 工作表“表\\r\\n1” 第3行 D列 （权重）: 权重不是数字"
