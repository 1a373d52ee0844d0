"""The ``perfeval`` command: parse arguments, call the library, report.

A user's mistake (a bad form, a refused adjustment) is one line on stderr and a
non-zero exit, never a traceback. Exit codes: 0 fine, 1 error findings,
2 a file could not be read or the command was refused.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from . import fmt
from .exceptions import PerfevalError
from .forms import ReadResult, read_forms
from .model import Evaluation

__all__ = ["main"]

log = logging.getLogger("perfeval")

EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="perfeval", description="财政项目绩效自评价复核工具")
    parser.add_argument("-v", "--verbose", action="store_true", help="show progress details")
    commands = parser.add_subparsers(dest="command", required=True)

    parse = commands.add_parser("parse", help="read forms into the normalised model")
    parse.add_argument("paths", nargs="+", metavar="PATH")
    parse.add_argument("--json", action="store_true", help="print a JSON array")
    parse.set_defaults(handler=cmd_parse)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="perfeval: %(message)s",
    )
    try:
        code: int = args.handler(args)
    except PerfevalError as error:
        print(f"perfeval: 错误: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        print("perfeval: 已中断", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
