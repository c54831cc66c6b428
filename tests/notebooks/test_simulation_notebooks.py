"""The simulation notebooks execute end to end in quick mode (oracle: no cell raises)."""
import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]


def _has_meanfield_theory():
    try:
        import meanfield
    except ImportError:
        return False
    return all(hasattr(meanfield, a) for a in ("curve_theory", "length_map", "correlation_map", "chi1"))


def _run(name, monkeypatch):
    monkeypatch.setenv("EXPRESSIVITY_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()


def test_raghu2017_notebook(monkeypatch):
    _run("raghu2017.ipynb", monkeypatch)


def test_poole2016_simulation_notebook(monkeypatch):
    if not _has_meanfield_theory():
        pytest.skip("needs meanfield's theory API (curve_theory, length_map, correlation_map, chi1)")
    _run("poole2016_simulation.ipynb", monkeypatch)
