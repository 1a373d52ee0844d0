"""The ``perfeval`` command: parse arguments, call the library, report.

A user's mistake (a bad form, a refused adjustment) is one line on stderr and a
non-zero exit, never a traceback. Exit codes: 0 fine, 1 error findings (for
``run``: a project failed), 2 a file could not be read or the command was refused.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import fmt, root
from .check.catalogue import read_settings
from .exceptions import PerfevalError
from .model import Evaluation
from .read.forms import ReadResult, read_forms
from .review.build import Review, evaluation_in, load_review, load_settings
from .review.store import AdjustmentStore
from .show import report

__all__ = ["main"]

log = logging.getLogger("perfeval")

EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2
EXIT_FAILED = 1  # perfeval run: a project's notebook failed


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _report_read_problems(result: ReadResult) -> None:
    for skipped in result.skipped:
        print(f"perfeval: 跳过 {skipped}", file=sys.stderr)
    for error in result.errors:
        print(f"perfeval: 错误: {error}", file=sys.stderr)


def _summary(evaluation: Evaluation) -> str:
    project = evaluation.project
    lines = [
        f"== {evaluation.source}",
        f"项目：{project.name or '（空）'}    单位：{project.unit or '（空）'}    年度：{evaluation.year or '（空）'}",
        f"预算：{fmt.money(project.budget)} 元    执行：{fmt.money(project.executed)} 元    "
        f"执行率：{fmt.rate(project.execution_rate)}    "
        f"自评等级：{project.grade or '（空）'}",
        f"{'一级指标':<10}{'指标名称':<24}{'权重':>6}{'自评分':>8}",
    ]
    for indicator in evaluation.indicators:
        lines.append(
            f"{(indicator.category or ''):<10}{indicator.name[:22]:<24}"
            f"{fmt.score(indicator.weight):>6}{fmt.score(indicator.self_score):>8}"
        )
    total = evaluation.declared_total
    lines.append(f"{'合计':<34}{fmt.score(total.weight):>6}{fmt.score(total.self_score):>8}")
    return "\n".join(lines)


def cmd_parse(args: argparse.Namespace) -> int:
    result = read_forms(args.paths)
    _report_read_problems(result)
    if args.json:
        _print_json([evaluation.to_json() for evaluation in result.evaluations])
    else:
        print("\n\n".join(_summary(evaluation) for evaluation in result.evaluations))
    return EXIT_UNREADABLE if result.errors else EXIT_OK


def _exit_code(result: ReadResult, reviews: list[Review]) -> int:
    if result.errors:
        return EXIT_UNREADABLE
    if any(f.severity == "error" for review in reviews for f in review.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def _reviews(args: argparse.Namespace) -> tuple[ReadResult, list[Review]]:
    result = read_forms(args.paths)
    _report_read_problems(result)
    params = root.params_dir(getattr(args, "params", None))
    settings = load_settings(params)
    if getattr(args, "settings", None):
        settings = read_settings(args.settings)
    return result, [load_review(e, params, settings) for e in result.evaluations]


def cmd_check(args: argparse.Namespace) -> int:
    result, reviews = _reviews(args)
    if args.json:
        _print_json([check_json(review) for review in reviews])
    else:
        print("\n\n".join(report.check_text(review) for review in reviews))
    return _exit_code(result, reviews)


def check_json(review: Review) -> dict[str, Any]:
    data = review.to_json()
    return {
        "source": data["source"],
        "project": data["project"],
        "findings": data["findings"],
        "totals": {k: data["totals"][k] for k in ("declared", "computed")},
        "grades": {k: data["grades"][k] for k in ("declared", "computed")},
    }


def cmd_review(args: argparse.Namespace) -> int:
    result, reviews = _reviews(args)
    if args.json:
        _print_json([review.to_json() for review in reviews])
    else:
        print("\n\n".join(report.review_text(review) for review in reviews))
    return _exit_code(result, reviews)


def cmd_adjust(args: argparse.Namespace) -> int:
    evaluation = evaluation_in(args.form, args.sheet, how_to_choose="请用 --sheet 指定一份")
    params = root.params_dir(args.params)
    new = _new_store(params)
    store = AdjustmentStore(params)
    store.adjust(evaluation, args.indicator, args.score, args.reason, args.reviewer)
    review = load_review(evaluation, params)
    totals = review.totals()
    item = review.item(args.indicator)
    print(
        f"已记录：“{args.indicator}”复核得分 {fmt.score(item.reviewed_score)} 分"
        f"（自评 {fmt.score(item.indicator.self_score)} 分）。"
        f"复核合计 {fmt.score(totals.reviewed)} 分，等级 {totals.reviewed_grade or '—'}。"
        f"已保存到 {store.path_for(evaluation)}"
        + (f"（新建了复核调整文件夹 {store.folder}）" if new else "")
    )
    return EXIT_OK


def cmd_import_review(args: argparse.Namespace) -> int:
    """Record the 复核得分 / 调整理由 a reviewer filled into a review workbook."""

    from .review.importing import import_review

    settings = read_settings(args.settings) if args.settings else None
    params = root.params_dir(args.params)
    new = _new_store(params)
    result = import_review(
        Path(args.workbook),
        args.reviewer,
        form=Path(args.form) if args.form else None,
        params_dir=params,
        settings=settings,
    )
    print(result.report())
    if new and result.taken:
        print(f"新建了复核调整文件夹 {params / 'adjustments'}")
    return EXIT_FINDINGS if result.refused else EXIT_OK


def cmd_pdf(args: argparse.Namespace) -> int:
    """Print review pages a run wrote to A4 PDFs beside them."""
    from .run.pdf import print_reviews

    failed = 0
    for page, pdf in print_reviews([Path(path) for path in args.paths]):
        if isinstance(pdf, Path):
            print(f"已打印：{pdf}")
        else:
            print(f"perfeval: 错误: {page}：{pdf}", file=sys.stderr)
            failed += 1
    return EXIT_FAILED if failed else EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Run the review notebook for every form under the paths (see ``perfeval.batch``)."""
    import signal

    from .run.batch import ProgressBar, RunOptions, run_batch

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # stop like Ctrl-C: workers stopped, nothing half-written

    options = RunOptions(
        out_dir=Path(args.out),
        params_dir=root.params_dir(args.params),
        jobs=args.jobs,
        force=args.force,
        notebook=Path(args.notebook) if args.notebook else None,
        project_timeout=args.timeout,
        warm_kernels=not args.fresh_kernels,
        recycle_after=args.recycle_after,
        cluster=args.cluster,
        pdf=args.pdf,
    )
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        result = run_batch(args.paths, options, ProgressBar())
    except KeyboardInterrupt:
        print("perfeval: 已中断；完成的项目已记录，再次运行会接着做", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(result.summary_text())
    if result.unreadable:
        return EXIT_UNREADABLE
    return EXIT_FAILED if result.failed or result.unwritten else EXIT_OK


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("应为 1 或更大的整数")
    return value


def _new_store(params: Path) -> bool:
    """Whether saving to ``params`` makes a new store (the command then says where)."""
    return not (params / "adjustments").is_dir()


def _add_params(command: argparse.ArgumentParser, *, settings: bool = False) -> None:
    command.add_argument(
        "--params",
        metavar="DIR",
        help="参数文件夹（默认：从当前文件夹向上找到的项目 params/，复核记录在其 adjustments/ 下）",
    )
    if settings:
        command.add_argument(
            "--settings", metavar="FILE", help="检查设置文件（默认：PARAMS/checks.json）"
        )


_ARGPARSE_MESSAGES = [
    (re.compile(r"the following arguments are required: (.+)"), "缺少必需的参数：{0}"),
    (re.compile(r"unrecognized arguments: (.+)"), "不认识的参数：{0}"),
    (re.compile(r"argument (\S+): expected one argument"), "参数 {0} 需要一个值"),
    (
        re.compile(r"argument (\S+): invalid choice: (.+?) \(choose from (.+)\)"),
        "参数 {0} 不能取 {1}（可选：{2}）",
    ),
    (re.compile(r"argument (\S+): invalid \S+ value: (.+)"), "参数 {0} 的值 {1} 无效"),
    (re.compile(r"argument (\S+): (.+)"), "参数 {0}：{1}"),
]


class _Parser(argparse.ArgumentParser):
    """argparse, speaking Chinese like the rest of the tool: its help, and its messages when
    the command line is wrong. Each subcommand ends its help with examples."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出")

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "用法：", 1)

    def format_help(self) -> str:
        text = super().format_help().replace("usage:", "用法：", 1)
        text = text.replace("\npositional arguments:", "\n位置参数：")
        return text.replace("\noptions:", "\n选项：")

    def error(self, message: str) -> NoReturn:
        for pattern, chinese in _ARGPARSE_MESSAGES:
            found = pattern.fullmatch(message)
            if found:
                message = chinese.format(*found.groups())
                break
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: 错误: {message}\n")


def _examples(*lines: str) -> str:
    return "例如：\n" + "\n".join(f"  {line}" for line in lines)


def _version() -> str:
    from .run.manifest import perfeval_version

    return perfeval_version()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="perfeval",
        description="财政项目绩效自评价复核工具：读表、检查、复核调整、批量生成复核报告",
        epilog=_examples(
            "perfeval check examples/",
            "perfeval run examples/ --out outputs",
            "perfeval 子命令 -h    查看子命令的说明",
        ),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="显示运行细节")
    parser.add_argument(
        "--version", action="version", version=f"perfeval {_version()}", help="显示版本号并退出"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="子命令")

    parse = commands.add_parser(
        "parse",
        help="读取自评表，列出读到的内容",
        description="读取自评表（.xlsx .xlsm .xls 或制表符/逗号分隔的文本），列出项目信息、指标与预算。",
        epilog=_examples(
            "perfeval parse examples/000_81c9c1dad6fba498.xlsx", "perfeval parse examples/ --json"
        ),
    )
    parse.add_argument("paths", nargs="+", metavar="PATH", help="表单文件或文件夹")
    parse.add_argument("--json", action="store_true", help="输出 JSON 数组")
    parse.set_defaults(handler=cmd_parse)

    check = commands.add_parser(
        "check",
        help="按检查目录检查自评表，按严重程度列出发现",
        description="按检查目录（docs/checks.md）检查每份表单：权重、小计、得分、规则、预算与文字。",
        epilog=_examples("perfeval check examples/", "perfeval check 自评表.xlsx --json"),
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="表单文件或文件夹")
    check.add_argument("--json", action="store_true", help="输出 JSON 数组")
    _add_params(check, settings=True)
    check.set_defaults(handler=cmd_check)

    review = commands.add_parser(
        "review",
        help="显示复核结果：检查发现、复核调整、三种口径的合计与等级",
        description="显示表单的复核结果：检查发现、复核人保存的调整，以及自评填报、各项相加与复核的合计和等级。",
        epilog=_examples("perfeval review examples/000_81c9c1dad6fba498.txt"),
    )
    review.add_argument("paths", nargs="+", metavar="FORM", help="表单文件")
    review.add_argument("--json", action="store_true", help="输出 JSON 数组")
    _add_params(review, settings=True)
    review.set_defaults(handler=cmd_review)

    adjust = commands.add_parser(
        "adjust",
        help="记录一项复核调整（得分与理由）",
        description="记录一项复核得分与调整理由；每次调整追加到该项目的复核历史，不覆盖以前的记录。",
        epilog=_examples(
            "perfeval adjust examples/000_81c9c1dad6fba498.txt --indicator 项目完成率 "
            "--score 8 --reason 两项任务未完成 --reviewer 王审",
        ),
    )
    adjust.add_argument("form", metavar="FORM", help="表单文件")
    adjust.add_argument("--sheet", help="工作簿中有多份表单时，所在的工作表")
    adjust.add_argument("--indicator", required=True, help="指标名称（重名时写成“名称（第N行）”）")
    adjust.add_argument("--score", required=True, help="复核得分：0 到该指标权重之间，至多两位小数")
    adjust.add_argument("--reason", required=True, help="调整理由")
    adjust.add_argument("--reviewer", required=True, help="复核人")
    _add_params(adjust)
    adjust.set_defaults(handler=cmd_adjust)

    imported = commands.add_parser(
        "import-review",
        help="导入复核工作簿（review.xlsx）中填写的复核得分与调整理由",
        description="把复核人在 review.xlsx“复核表”中填写的复核得分与调整理由记入复核历史；与表单或已有记录冲突的行不导入并说明原因。",
        epilog=_examples(
            "perfeval import-review outputs/某项目/review.xlsx --reviewer 王审",
            "perfeval import-review review.xlsx --reviewer 王审 --form 新位置/自评表.xlsx",
        ),
    )
    imported.add_argument("workbook", metavar="WORKBOOK", help="复核工作簿 review.xlsx")
    imported.add_argument("--reviewer", required=True, help="复核人")
    imported.add_argument("--form", help="表单已不在生成工作簿时的位置时，指明表单文件")
    _add_params(imported, settings=True)
    imported.set_defaults(handler=cmd_import_review)

    run = commands.add_parser(
        "run",
        help="批量复核：每个项目一份执行过的笔记本、HTML 复核报告和复核工作簿，以及汇总",
        description=(
            "批量复核路径下的每份表单：每个项目一份执行过的笔记本（review.ipynb）、HTML 复核报告"
            "（review.html）和复核工作簿（review.xlsx），以及汇总页 index.html 与汇总表 "
            "summary.xlsx。再次运行只重做有变化的项目。"
        ),
        epilog=_examples(
            "perfeval run examples/",
            "perfeval run 表单/ --out 复核结果 --jobs 4",
            "perfeval run 表单/ --cluster local:4",
            "perfeval run 表单/ --cluster tcp://调度器:8786",
        ),
    )
    run.add_argument("paths", nargs="+", metavar="PATH", help="表单文件或文件夹")
    run.add_argument("--out", default="outputs", metavar="DIR", help="输出文件夹（默认：outputs）")
    run.add_argument(
        "--jobs",
        type=_positive,
        metavar="N",
        help="并行的工作进程数（默认：每核一个，至多每核四个）",
    )
    _add_params(run)
    run.add_argument("--force", action="store_true", help="不论有无变化，重做每个项目")
    run.add_argument(
        "--timeout",
        type=_positive,
        default=1800,
        metavar="S",
        help="一个项目最多运行的秒数，超时即停止其内核（默认：1800）",
    )
    run.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="每个项目启动新内核（默认：工作进程保留内核，项目之间重置）",
    )
    run.add_argument(
        "--recycle-after",
        type=_positive,
        default=50,
        metavar="N",
        help="保留的内核运行 N 个项目后更换（默认：50）",
    )
    run.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="在 Dask 集群上运行：调度器地址（tcp://主机:8786），或 local[:N] 在本机启动 N 个"
        "工作进程（需安装 perfeval[dask]）",
    )
    run.add_argument(
        "--pdf",
        action="store_true",
        help="同时把每份复核报告打印为 A4 的 review.pdf（用本机 Chromium；需安装 perfeval[pdf]）",
    )
    run.add_argument(
        "--notebook",
        metavar="FILE",
        help="要运行的复核笔记本（默认：perfeval 自带的 review.ipynb）",
    )
    run.set_defaults(handler=cmd_run)

    pdf = commands.add_parser(
        "pdf",
        help="把复核页（review.html）打印为 A4 的 review.pdf",
        description=(
            "把 perfeval run 写出的复核页打印为 A4 PDF（review.pdf，放在 review.html 旁）：可指定"
            "一个 review.html、一个项目文件夹，或整个输出文件夹。用本机 Chromium 离线打印，"
            "页脚有项目名称与页码（需安装 perfeval[pdf]）。"
        ),
        epilog=_examples(
            "perfeval pdf outputs/2020-古美路街道-组团式服务联系群众专项-6cab03",
            "perfeval pdf outputs/某项目/review.html",
            "perfeval pdf outputs",
        ),
    )
    pdf.add_argument("paths", nargs="+", metavar="PATH", help="复核页、项目文件夹或输出文件夹")
    pdf.set_defaults(handler=cmd_pdf)
    return parser


#: Options that carry words a person typed (not file names): decoded as the terminal wrote them.
TYPED_TEXT = {
    "reason": "--reason",
    "reviewer": "--reviewer",
    "indicator": "--indicator",
    "sheet": "--sheet",
}


def terminal_text(value: str, option: str) -> str:
    """Words typed in a terminal: as given when they are valid text; GBK/GB18030 bytes (a
    Chinese Windows console, an old SSH client) read as such; anything else refused."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise PerfevalError(
            f"{option} 的内容不是可识别的文字（终端编码既不是 UTF-8 也不是 GBK）；"
            "请把终端设为 UTF-8 后重新输入"
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="perfeval: %(message)s",
    )
    try:
        for attr, option in TYPED_TEXT.items():
            if isinstance(getattr(args, attr, None), str):
                setattr(args, attr, terminal_text(getattr(args, attr), option))
        code: int = args.handler(args)
    except PerfevalError as error:
        print(f"perfeval: 错误: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        print("perfeval: 已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`perfeval check … | head`): not an error of ours.
        sys.stderr.close()
        return EXIT_OK
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
