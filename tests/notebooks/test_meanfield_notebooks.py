"""The mean-field theory notebooks execute end to end in quick mode (oracle: no cell raises).

Reuses the runner of the simulation-notebook test (same kernel, environment and path)."""
import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

_spec = importlib.util.spec_from_file_location(
    "_simulation_notebooks", Path(__file__).with_name("test_simulation_notebooks.py"))
_sim = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_sim)


@pytest.mark.parametrize("name", ["poole2016_theory.ipynb", "schoenholz2017.ipynb"])
def test_meanfield_notebook(name, monkeypatch):
    _sim._run(name, monkeypatch)
