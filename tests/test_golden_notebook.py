"""The executed review notebook of the seed form, compared cell by cell with a stored copy.

As nbclient's own tests do: run the notebook with a real kernel, normalise what changes
from run to run (ids, execution times, kernel and papermill metadata, widget model ids,
the run's folder), and compare every cell's source and outputs with
``tests/golden/seed.json``. A change to what a reviewer sees shows here as a diff of the
cells it touched; when the change is meant, regenerate the copy with
``PERFEVAL_GOLDEN=update pytest tests/test_golden_notebook.py`` and review the diff.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "perfeval" / "notebooks" / "review.ipynb"
SEED = REPO / "examples" / "000_81c9c1dad6fba498.txt"
GOLDEN = Path(__file__).resolve().parent / "golden" / "seed.json"
_MODEL_ID = re.compile(r'"model_id":\s*"[0-9a-f]+"')


def normalised(nb: nbformat.NotebookNode, folder: Path) -> list[dict[str, Any]]:
    """Each cell's type, tags, source and outputs, with what varies between runs removed."""
    cells = []
    for cell in nb.cells:
        tags = [t for t in cell.get("metadata", {}).get("tags", []) if t != "injected-parameters"]
        entry: dict[str, Any] = {"type": cell.cell_type, "tags": tags}
        source = cell.source
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            entry["tags"] = ["injected-parameters"]
        entry["source"] = source.replace(str(folder), "<run>")
        if cell.cell_type == "code":
            outputs = []
            for output in copy.deepcopy(cell.get("outputs", [])):
                output.pop("execution_count", None)
                output.pop("metadata", None)
                text = json.dumps(output, ensure_ascii=False, sort_keys=True)
                text = _MODEL_ID.sub('"model_id": "<widget>"', text.replace(str(folder), "<run>"))
                outputs.append(json.loads(text))
            entry["outputs"] = outputs
        cells.append(entry)
    return cells


@pytest.mark.slow
def test_the_seed_notebook_is_as_stored(tmp_path: Path) -> None:
    shutil.copy(SEED, tmp_path / "seed.txt")
    executed = papermill.execute_notebook(
        str(NOTEBOOK),
        str(tmp_path / "out.ipynb"),
        parameters={
            "form_path": str(tmp_path / "seed.txt"),
            "params_dir": str(tmp_path / "params"),
        },
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    got = normalised(executed, tmp_path)
    if os.environ.get("PERFEVAL_GOLDEN") == "update":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    stored = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(got) == len(stored), "cells were added or removed"
    for index, (cell, want) in enumerate(zip(got, stored, strict=True)):
        assert cell == want, f"cell {index} ({cell['source'][:40]!r}) differs from the stored copy"
