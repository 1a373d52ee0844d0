"""One store, whatever folder a command or the notebook starts from."""

from __future__ import annotations

import shutil
from pathlib import Path

import papermill
import pytest

from perfeval import root
from perfeval.cli import main
from perfeval.read.forms import read_form
from perfeval.review.build import load_review

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "examples" / "000_81c9c1dad6fba498.xlsx"
NOTEBOOK = REPO / "perfeval" / "notebooks" / "review.ipynb"
REASON = "合计96分隐含政策知晓率得7分，经核对知晓率问卷，达到目标"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A review project as the repository lays one out."""
    (tmp_path / "perfeval.toml").write_text('params = "params"\n', encoding="utf-8")
    (tmp_path / "examples").mkdir()
    shutil.copy(SEED, tmp_path / "examples" / SEED.name)
    (tmp_path / "notebooks").mkdir()
    shutil.copy(NOTEBOOK, tmp_path / "notebooks" / "review.ipynb")
    return tmp_path


def test_the_root_and_its_store_are_found_from_below(project: Path) -> None:
    below = project / "notebooks"
    assert root.find_root(below) == project
    assert root.params_dir(None, below) == project / "params"
    assert root.params_dir("params", below) == project / "params"
    assert root.resolve("examples/" + SEED.name, below) == project / "examples" / SEED.name


def test_perfeval_toml_names_the_params_folder(project: Path) -> None:
    (project / "perfeval.toml").write_text('params = "data/复核参数"\n', encoding="utf-8")
    assert root.params_dir(None, project / "notebooks") == project / "data" / "复核参数"


def test_outside_a_project_the_working_directory_is_used(tmp_path: Path) -> None:
    assert root.find_root(tmp_path) is None or root.find_root(tmp_path) != tmp_path
    assert root.params_dir("mine", tmp_path) == tmp_path / "mine"


@pytest.mark.slow
def test_the_notebook_run_from_its_folder_saves_where_the_commands_read(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # JupyterLab starts the kernel in notebooks/: the defaults must reach the project's form
    # and the project's store, never notebooks/params.
    executed = papermill.execute_notebook(
        str(project / "notebooks" / "review.ipynb"),
        str(project / "notebooks" / "out.ipynb"),
        kernel_name="python3",
        progress_bar=False,
        cwd=str(project / "notebooks"),
    )
    assert not any(
        o.get("output_type") == "error" for c in executed.cells for o in c.get("outputs", [])
    )
    assert not (project / "notebooks" / "params").exists()
    # A command run from the notebooks folder saves to the same store as one run from the root.
    monkeypatch.chdir(project / "notebooks")
    args = ["adjust", f"../examples/{SEED.name}", "--indicator", "政策知晓率", "--score", "7"]
    assert main([*args, "--reason", REASON, "--reviewer", "张三"]) == 0
    assert "新建了复核调整文件夹" in capsys.readouterr().out
    assert not (project / "notebooks" / "params").exists()
    monkeypatch.chdir(project)
    [evaluation], _ = read_form(project / "examples" / SEED.name)
    assert load_review(evaluation, root.params_dir()).item("政策知晓率").reviewed_score == 7


def test_reading_commands_make_no_params_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(SEED)]) in (0, 1)
    assert main(["review", str(SEED)]) in (0, 1)
    assert not (tmp_path / "params").exists()
