"""Every notebook executes end to end in quick mode (oracle: no cell raises).

The notebooks are thin (they call the library's figure functions); EXPRESSIVITY_QUICK=1
selects the settings the tests use.
"""
import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


def test_every_paper_has_its_notebook():
    """Oracle: the paper modules (expressivity.papers), each named like its notebook."""
    from expressivity import papers

    for name in papers.PAPERS:
        if name not in ("showcase",):
            assert f"{name}.ipynb" in NOTEBOOKS, name


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_quick_mode(name, monkeypatch):
    monkeypatch.setenv("EXPRESSIVITY_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")       # the critics' small matrices: no oversubscription
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
