"""Every notebook runs with parameters other than the committed ones, and its assertions still hold.

papermill injects the parameters (a cell tagged `injected-parameters` after the cell tagged `parameters`), and the
notebook runs in an IPython shell (execnb's, as `nbdev_test` runs notebooks) inside a forked copy of this test process.
The fork starts with numpy, pandas, scipy, scikit-learn and matplotlib already imported, so a run costs the notebook's
own work, not a kernel's start and a second import of the scientific stack; mlparity itself is imported afresh by the
notebook, whatever the tests before it imported; and whatever the notebook changes (working folder, pandas options,
globals) ends with the fork. nbval (`make test`'s other notebook run) keeps the real kernel.
"""
import ast, json, os, re, select, signal, subprocess, sys, time, traceback
from pathlib import Path
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
def test_runs_with_other_parameters(name):
    nb = run_notebook(NBS / name, CI_PARAMS)
    injected = [c for c in nb["cells"] if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    assert injected, "papermill did not inject the parameters (is the `parameters` tag kept by nbdev_clean?)"
    ns = {}
    exec("".join(injected[0]["source"]), ns)
    assert {k: ns[k] for k in CI_PARAMS} == CI_PARAMS


_WARM = False


def run_notebook(path, parameters:dict, timeout:float=600)->dict:
    """Run the notebook at `path` with `parameters` injected, in a forked copy of this process; return the notebook as it
    was run (a dict). A cell that raises fails the run with its traceback; so does a run longer than `timeout` seconds."""
    global _WARM
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook
    if not _WARM:   # what every chapter imports, imported once into the process that forks
        import numpy, pandas, scipy.stats, sklearn.linear_model, matplotlib, matplotlib.pyplot, IPython  # noqa: F401
        import execnb.shell, execnb.nbio  # noqa: F401
        _WARM = True
    nb = parameterize_notebook(load_notebook_node(str(path)), parameters, report_mode=False, kernel_name="python3", language="python")
    run = json.loads(nbformat.writes(nb))
    r, w = os.pipe()
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid == 0:                                            # the child: run every cell, report, exit without cleanup
        os.close(r)
        code, msg = 1, b""
        try:
            from execnb.shell import CaptureShell
            from execnb.nbio import dict2nb
            os.chdir(Path(path).parent)
            for m in [m for m in sys.modules if m == "mlparity" or m.startswith("mlparity.")]:
                del sys.modules[m]                          # the notebook imports the package afresh, as a kernel would
            shell = CaptureShell(path=Path(path))
            cells = dict2nb(run).cells
            for i, cell in enumerate(cells):
                if cell.cell_type != "code": continue
                shell.cell(cell)
                if shell.exc:
                    err = [o for o in cell.outputs if o.get("output_type") == "error"]
                    tb = "\n".join(err[0].get("traceback", [])) if err else repr(shell.exc)
                    raise RuntimeError(f"cell {i} raised:\n{''.join(cell.source)}\n---\n{tb}")
            code, msg = 0, b"ok"
        except BaseException:
            msg = traceback.format_exc().encode()
        finally:
            os.write(w, msg[-20000:]); os._exit(code)
    os.close(w)
    out, deadline = b"", time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([r], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                raise AssertionError(f"{Path(path).name} ran longer than {timeout:.0f} s with {parameters}")
            chunk = os.read(r, 65536)
            if not chunk: break
            out += chunk
    finally:
        os.close(r)
        _, status = os.waitpid(pid, 0)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.decode(errors="replace"))
    assert os.waitstatus_to_exitcode(status) == 0, f"{Path(path).name} with {parameters} failed:\n{text}"
    return run


def _tiny_notebook(tmp_path, *cells)->Path:
    "A notebook with a `parameters` cell (seed = 0, scale = 1.0) and then these code cells."
    code = lambda src, tags=(): {"cell_type": "code", "execution_count": None, "id": f"c{abs(hash(src)) % 10**8}",
                                 "metadata": {"tags": list(tags)}, "outputs": [], "source": src}
    nb = {"cells": [code("seed = 0\nscale = 1.0", ["parameters"]), *[code(c) for c in cells]], "metadata": {},
          "nbformat": 4, "nbformat_minor": 5}
    p = tmp_path / "tiny.ipynb"; p.write_text(json.dumps(nb))
    return p


def test_the_runner_fails_on_a_failing_cell_and_names_it(tmp_path):
    "The parameter run can fail: an assertion that holds for seed 0 and not for seed 7 fails it, with the cell shown."
    p = _tiny_notebook(tmp_path, "x = seed * 2", "assert x != 14, 'seed 7 breaks this chapter'", "print('never')")
    run_notebook(p, {"seed": 3, "scale": 0.25})
    with pytest.raises(AssertionError, match=r"(?s)tiny.ipynb with .*cell 3 raised.*assert x != 14.*seed 7 breaks this chapter"):
        run_notebook(p, CI_PARAMS)


def test_the_runner_isolates_the_notebook_and_times_out(tmp_path):
    "What a notebook changes stays in its fork; a notebook that never ends is stopped."
    here = os.getcwd()
    p = _tiny_notebook(tmp_path, "import os, pandas as pd\nos.chdir('/')\npd.set_option('display.max_rows', 3)\nLEAK = 1")
    run_notebook(p, CI_PARAMS)
    import pandas as pd
    assert os.getcwd() == here and pd.get_option("display.max_rows") != 3 and "LEAK" not in globals()
    with pytest.raises(AssertionError, match="ran longer than 2 s"):
        run_notebook(_tiny_notebook(tmp_path, "import time\nwhile True: time.sleep(0.1)"), CI_PARAMS, timeout=2)


def test_the_runner_imports_the_package_afresh(tmp_path):
    "A notebook sees mlparity as a new kernel would, not as the tests before it left it."
    import mlparity.monitor  # noqa: F401  (imported here, in the process that forks)
    run_notebook(_tiny_notebook(tmp_path, "import sys\nassert 'mlparity.monitor' not in sys.modules, 'inherited'"), CI_PARAMS)
