"""Every notebook runs with parameters other than the committed ones, and its assertions still hold."""
import ast, json, subprocess, sys
import pytest
from helpers import ROOT, NBS, notebooks, parameter_names, parameters_cell, load_nb

NOTEBOOKS = [p.relative_to(NBS).as_posix() for p in notebooks()]
# Not the committed seed, and a smaller world: each chapter must hold for any seed, not only the one in the docs.
CI_PARAMS = {"seed": 7, "scale": 0.25}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_has_parameters_cell(name):
    nb = load_nb(NBS / name)
    assert parameters_cell(nb) is not None, f"{name} has no cell tagged `parameters`"
    missing = set(CI_PARAMS) - parameter_names(nb)
    assert not missing, f"the parameters cell of {name} does not define {sorted(missing)}"


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_runs_with_other_parameters(name, tmp_path):
    import papermill as pm
    out = tmp_path / name.replace("/", "_")
    pm.execute_notebook(str(NBS / name), str(out), parameters=CI_PARAMS, cwd=str((NBS / name).parent),
                        kernel_name="python3", progress_bar=False, execution_timeout=300)
    nb = load_nb(out)
    injected = [c for c in nb["cells"] if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    assert injected, "papermill did not inject the parameters (is the `parameters` tag kept by nbdev_clean?)"
    ns = {}
    exec("".join(injected[0]["source"]), ns)
    assert {k: ns[k] for k in CI_PARAMS} == CI_PARAMS
