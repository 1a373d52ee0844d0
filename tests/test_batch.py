"""``perfeval run``: a batch of forms in, executed notebooks, HTML reviews, an index and a
manifest out; resumable, robust to a failing project, an unreadable file and an interrupt.

The mixed-folder test runs the real ``notebooks/review.ipynb``; the others run a
small stand-in notebook written into ``tmp_path`` (same parameters, the score table),
which they can change, make fail or make slow. Two workers, few forms.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import formgen as fg
import nbformat
import pytest
from browser_support import descendant_pids, pid_alive
from hypothesis import given
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from outputs import project_folders
from perfeval import RunError, cli
from perfeval.names import MAX_NAME, safe_name
from perfeval.read.forms import read_form
from perfeval.review.store import AdjustmentStore
from perfeval.run.batch import (
    ProgressBar,
    ProjectRun,
    RunOptions,
    RunReport,
    run_batch,
)
from perfeval.run.export import external_references
from perfeval.run.handover import handed_over
from perfeval.run.manifest import MANIFEST_NAME, Manifest, code_sha256
from perfeval.run.names import folder_names

ROOT = Path(__file__).resolve().parents[1]
REAL_NOTEBOOK = ROOT / "notebooks" / "review.ipynb"
SEED_FOLDER = "2020-古美路街道-组团式服务联系群众专项-6cab03"
HOSTILE = '<script>alert("x")</script>/../../逃逸\\CON'
UNRELATED: fg.Rows = [["序号", "项目名称", "预算数(元)"], ["1", "社区活动", "1,000.00"]]
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{p}{i}" for p in ("COM", "LPT") for i in range(10))}

pytestmark = pytest.mark.slow


def rows_named(name: str) -> fg.Rows:
    return fg.set_cell(fg.seed_rows(), "项目名称", "B", name)


def standin_notebook(path: Path, *cells: str) -> Path:
    """A review notebook with the real one's parameters that shows the score table."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        new_markdown_cell("# 复核（测试用）"),
        new_code_cell(
            'form_path = "form.txt"\nsheet = None\nparams_dir = "params"',
            metadata={"tags": ["parameters"]},
        ),
        new_code_cell(
            "from perfeval.review.build import open_review\n"
            "from perfeval.show import html as render\n"
            "review = open_review(form_path, sheet, params_dir)"
        ),
        new_code_cell("render.html(render.stylesheet(), render.score_table(review))"),
        *(new_code_cell(source) for source in cells),
    ]
    nbformat.write(nb, path)
    return path


FAIL_IF_BAD = (
    'if "坏" in review.evaluation.project.name:\n'
    '    raise RuntimeError("复核脚本出错：" + review.evaluation.project.name)'
)


def states(report: RunReport) -> dict[str, str]:
    return {project.project or "": project.state for project in report.projects}


def manifest(out: Path) -> dict[str, dict[str, object]]:
    return dict(Manifest.load(out / MANIFEST_NAME).projects)


def partials(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.startswith(".partial-")]


# --- folder names -------------------------------------------------------------------


def test_folder_names_are_readable_and_collision_free() -> None:
    [seed_tsv], _ = read_form(fg.SEED_TSV)
    [seed_xlsx], _ = read_form(fg.SEED_XLSX)
    first, second = folder_names([seed_tsv, seed_xlsx])  # the same project, sent twice
    assert first == SEED_FOLDER
    assert re.fullmatch(re.escape(SEED_FOLDER) + r"-[0-9a-f]{6}", second)


@given(st.text(max_size=200))
def test_safe_name_cannot_leave_its_folder(text: str) -> None:
    name = safe_name(text)
    assert len(name) <= MAX_NAME
    assert "/" not in name and "\\" not in name and ".." not in name
    assert not any(unicodedata.category(c).startswith("C") for c in name)
    assert name.split(".")[0].upper() not in RESERVED
    if name:
        assert PurePosixPath(os.path.normpath(f"/out/{name}")).parent == PurePosixPath("/out")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("../../etc/passwd", "etc_passwd"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("a\x00b\nc", "a_b_c"),
        ("组团式服务／联系群众", "组团式服务_联系群众"),
        ("．．／．．", ""),
        ("长" * 100, "长" * MAX_NAME),
    ],
)
def test_safe_name(text: str, expected: str) -> None:
    assert safe_name(text) == expected


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [False, True], ids=["pipe", "terminal"])
def test_progress_bar(terminal: bool) -> None:
    [evaluation], _ = read_form(fg.SEED_TSV)
    stream = FakeTerminal() if terminal else io.StringIO()
    bar = ProgressBar(stream, width=10)
    bar.start(projects=3, todo=2)
    for finished, state in enumerate(["done", "failed"], start=1):
        project = ProjectRun.of(evaluation, f"项目{finished}", {})
        project.state, project.seconds = state, 1.25
        bar.advance(project, finished)
    bar.finish()
    text = stream.getvalue()
    assert text.startswith("共 3 个项目：2 个要运行，1 个未变\n")
    assert "[#####-----] 1/2 完成 项目1 1.2 s" in text
    assert "[##########] 2/2 失败 项目2 1.2 s" in text
    assert ("\r" in text) == terminal and text.endswith("\n")


# --- a mixed folder, the real notebook ------------------------------------------------


def test_run_on_a_mixed_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    forms = tmp_path / "forms"
    (forms / "sub").mkdir(parents=True)
    fg.write_tsv(fg.seed_rows(), forms / "a_古美路.txt")
    fg.write_xlsx(rows_named(HOSTILE), forms / "b_hostile.xlsx")
    book = {
        "党建": fg.seed_rows(),  # the same project as a_古美路.txt
        "睦邻": rows_named("社区睦邻中心运营"),
        "填表说明": UNRELATED,
        "为老": fg.shift_columns(rows_named("为老服务专项"), 1),
    }
    fg.write_xlsx(book, forms / "sub" / "c_book.xlsx")
    (forms / "d_broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    out, params = tmp_path / "out", tmp_path / "params"

    code = cli.main(
        ["run", str(forms), "--out", str(out), "--params", str(params), "--jobs", "2",
         "--notebook", str(REAL_NOTEBOOK)]
    )  # fmt: skip

    printed = capsys.readouterr()
    assert code == 2  # a file could not be read; everything else was done
    assert "完成 5 个，未变跳过 0 个，失败 0 个；无法读取的文件 1 个" in printed.out
    assert "没有自评表的工作表 1 个" in printed.out  # 填表说明 in c_book.xlsx
    assert "d_broken.xlsx" in printed.out and f"索引：{out / 'index.html'}" in printed.out
    assert "5/5" in printed.err  # the progress bar, one line a project without a terminal

    entries = manifest(out)
    assert len(entries) == 5 and all(e["result"] == "ok" for e in entries.values())
    assert SEED_FOLDER in entries
    folders = project_folders(out)
    assert sorted(p.name for p in folders) == sorted(entries)
    index = (out / "index.html").read_text(encoding="utf-8")
    for folder in folders:
        assert folder.resolve().parent == out.resolve() and len(folder.name) <= MAX_NAME
        entry = entries[folder.name]
        executed = nbformat.read(folder / "review.ipynb", as_version=4)
        workbook = str(folder.resolve() / "review.xlsx")
        assert executed.metadata.papermill.parameters == {
            **entry["parameters"],
            "workbook_path": workbook,
        }
        # the review is computed once, in the kernel: the portfolio's figures are the ones
        # the notebook handed over, and the notebook wrote review.xlsx
        handover = handed_over(executed)
        assert handover is not None and handover.workbook_error is None
        assert handover.figures == entry["summary"] and entry["summary"] is not None
        tags = [tag for cell in executed.cells for tag in cell.metadata.get("tags", [])]
        assert "injected-parameters" in tags and "interactive" in tags  # the panel stays here
        assert executed.metadata.papermill.output_path == str(folder / "review.ipynb")
        review = (folder / "review.html").read_text(encoding="utf-8")
        assert external_references(review) == [] and "<script" not in review
        assert "预算执行率" in review and "批量复核交接" not in review
        assert f'href="{quote(folder.name)}/review.html"' in index
        # The form by its name in the batch, never the reviewer's folders.
        assert str(tmp_path) not in review
        assert entry["parameters"]["source_name"] in review
    book_reviews = [
        e for e in entries.values() if e["parameters"]["source_name"] == "sub/c_book.xlsx"
    ]
    assert len(book_reviews) == 3  # 党建, 睦邻 and 为老, each named by file and sheet
    hostile = next(f for f in folders if "script" in f.name)
    assert not set('<>"/\\') & set(hostile.name)
    hostile_page = (hostile / "review.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in hostile_page and "<script>alert" not in hostile_page
    assert "<script>alert" not in index and index.count("<script") == 1  # the sorter only
    assert external_references(index) == []
    assert "d_broken.xlsx" in index and "填表说明" in index
    assert partials(out) == []


# --- resuming, with the stand-in notebook ------------------------------------------


def test_second_run_redoes_only_what_changed(tmp_path: Path) -> None:
    forms, out, params = tmp_path / "forms", tmp_path / "out", tmp_path / "params"
    forms.mkdir()
    fg.write_tsv(rows_named("甲项目"), forms / "a.txt")
    fg.write_tsv(rows_named("乙项目"), forms / "b.txt")
    notebook = standin_notebook(tmp_path / "review.ipynb")

    def run(force: bool = False) -> RunReport:
        options = RunOptions(out_dir=out, params_dir=params, jobs=2, notebook=notebook, force=force)
        return run_batch([forms], options)

    assert states(run()) == {"甲项目": "done", "乙项目": "done"}
    pages = {p: p.stat().st_mtime_ns for p in out.glob("*/review.html")}

    assert states(run()) == {"甲项目": "skipped", "乙项目": "skipped"}
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/review.html")} == pages

    fg.write_tsv(fg.set_cell(rows_named("乙项目"), "政策知晓率", "自评分", "7"), forms / "b.txt")
    assert states(run()) == {"甲项目": "skipped", "乙项目": "done"}

    [first], _ = read_form(forms / "a.txt")
    AdjustmentStore(params).adjust(first, "长效管理机制健全性", "6", "机制未见文件", "王复核")
    report = run()
    assert states(report) == {"甲项目": "done", "乙项目": "skipped"}
    adjusted = next(p for p in report.projects if p.project == "甲项目")
    assert manifest(out)[adjusted.folder]["adjustments_sha256"] is not None
    assert adjusted.summary is not None and adjusted.summary["reviewed"] == 87

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(new_markdown_cell("复核人签字：________"))
    nbformat.write(nb, notebook)
    assert states(run()) == {"甲项目": "done", "乙项目": "done"}

    # a change to perfeval's own code (a check, a page) makes every output stale
    assert len(code_sha256()) == 64
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("perfeval.run.batch.code_sha256", lambda: "0" * 64)
        assert states(run()) == {"甲项目": "done", "乙项目": "done"}

    assert states(run(force=True)) == {"甲项目": "done", "乙项目": "done"}
    assert partials(out) == []


def test_a_failing_project_is_named_and_the_others_finish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forms, out = tmp_path / "forms", tmp_path / "out"
    forms.mkdir()
    fg.write_tsv(rows_named("好项目"), forms / "a.txt")
    fg.write_tsv(rows_named("坏项目"), forms / "b.txt")
    notebook = standin_notebook(tmp_path / "failing.ipynb", FAIL_IF_BAD, "print('不该运行到这里')")
    argv = ["run", str(forms), "--out", str(out), "--params", str(tmp_path / "params"),
            "--jobs", "2", "--notebook", str(notebook)]  # fmt: skip

    assert cli.main(argv) == 1
    printed = capsys.readouterr().out
    assert "完成 1 个，未变跳过 0 个，失败 1 个" in printed
    assert re.search(
        r"失败：2020-[^：]*坏项目[^：]*：In \[\d+\] 出错：RuntimeError: 复核脚本出错：坏项目",
        printed,
    )

    entries = manifest(out)
    [bad] = [name for name, entry in entries.items() if entry["result"] == "failed"]
    assert "复核脚本出错" in str(entries[bad]["error"])
    executed = nbformat.read(out / bad / "review.ipynb", as_version=4)
    assert executed.metadata.papermill.exception is True  # papermill marked where it broke
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [e.evalue for e in errors] == ["复核脚本出错：坏项目"]
    assert "不该运行到这里" not in json.dumps(executed)
    page = (out / bad / "review.html").read_text(encoding="utf-8")
    assert "复核未完成" in page and "复核脚本出错" in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<tr class="failed"' in index and "复核脚本出错：坏项目" in index

    # A failed project is tried again; the good one stays done.
    assert cli.main(argv) == 1
    assert "完成 0 个，未变跳过 1 个，失败 1 个" in capsys.readouterr().out


def test_a_project_that_cannot_run_fails_alone(tmp_path: Path) -> None:
    out, params = tmp_path / "out", tmp_path / "params"
    [evaluation], _ = read_form(fg.SEED_TSV)
    (params / "adjustments").mkdir(parents=True)
    for copy in ("一", "二"):  # two files claim the project: perfeval will not guess which
        (params / "adjustments" / f"2020-{copy}-{evaluation.key}.json").write_text("{}")
    stale = out / SEED_FOLDER / "review.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("<p>上次的复核</p>", encoding="utf-8")
    (out / MANIFEST_NAME).write_text("{ not json", encoding="utf-8")  # from a crash, say

    report = run_batch([fg.SEED_TSV], RunOptions(out_dir=out, params_dir=params, jobs=1))

    [project] = report.failed
    assert "多个文件属于同一项目" in str(project.error)
    assert not stale.exists()  # an older review must not pass for this run's
    assert manifest(out)[SEED_FOLDER]["result"] == "failed"


def test_a_run_that_cannot_start_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.ipynb"
    assert (
        cli.main(["run", str(fg.SEED_TSV), "--out", str(tmp_path), "--notebook", str(missing)]) == 2
    )
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "找不到复核笔记本" in err and str(missing) in err


def test_two_runs_cannot_share_an_output_folder(tmp_path: Path) -> None:
    import fcntl

    notebook = standin_notebook(tmp_path / "review.ipynb")
    (tmp_path / "out").mkdir()
    with (tmp_path / "out" / ".perfeval-run.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(RunError, match="另一个 perfeval run"):
            run_batch([fg.SEED_TSV], RunOptions(out_dir=tmp_path / "out", notebook=notebook))


# --- interrupting -------------------------------------------------------------------


def test_an_interrupted_run_leaves_nothing_half_done_and_resumes(tmp_path: Path) -> None:
    forms, out, params = tmp_path / "forms", tmp_path / "out", tmp_path / "params"
    forms.mkdir()
    for letter in "abc":
        fg.write_tsv(rows_named(f"{letter}项目"), forms / f"{letter}.txt")
    notebook = standin_notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(1.0)")
    command = [sys.executable, "-m", "perfeval", "run", str(forms), "--out", str(out),
               "--params", str(params), "--jobs", "1", "--notebook", str(notebook)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / MANIFEST_NAME).exists() or not any(
        e["result"] == "ok" for e in manifest(out).values()
    ):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    started = descendant_pids(process.pid)  # the forkserver, the worker and its kernels

    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)

    assert process.returncode == 130 and "已中断" in err
    gone = time.monotonic() + 10
    while any(pid_alive(pid) for pid in started) and time.monotonic() < gone:
        time.sleep(0.1)
    assert not any(pid_alive(pid) for pid in started)
    assert partials(out) == []
    entries = manifest(out)
    for folder in project_folders(out):
        complete = (folder / "review.html").exists()
        assert complete == (entries.get(folder.name, {}).get("result") == "ok")
    finished = sum(1 for e in entries.values() if e["result"] == "ok")
    assert 1 <= finished < 3

    report = run_batch(
        [forms], RunOptions(out_dir=out, params_dir=params, jobs=2, notebook=notebook)
    )
    assert (report.count("skipped"), report.count("done")) == (finished, 3 - finished)


def test_jobs_beyond_the_machine_are_capped(caplog: pytest.LogCaptureFixture) -> None:
    from perfeval.run.batch import default_jobs, worker_count

    assert worker_count(1000, 2000) == 4 * default_jobs()
    assert "超过本机可承受的并行数" in caplog.text
    assert worker_count(1000, 3) == 3  # never more workers than projects
    assert worker_count(None, 2000) == default_jobs()
