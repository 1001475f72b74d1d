"""Every notebook runs with parameters other than the committed ones, and its assertions still hold.

papermill injects the parameters (a cell tagged `injected-parameters` after the cell tagged `parameters`), and the
notebook runs in an IPython shell (execnb's, as `nbdev_test` runs notebooks) in a fork of this worker's notebook runner
(tests/nbrunner.py), a process that has numpy, pandas, scipy, scikit-learn and matplotlib imported and never mlparity:
a run costs the notebook's own work, not a kernel's start and a second import of the scientific stack; the notebook
imports mlparity afresh; and whatever it changes ends with the fork. nbval (`make test`'s other notebook run) keeps the
real kernel.
"""
import ast, atexit, json, os, re, subprocess, sys
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


_RUNNER = None


def _runner()->subprocess.Popen:
    "This worker's notebook runner (tests/nbrunner.py), started on first use and ended when the worker ends."
    global _RUNNER
    if _RUNNER is None or _RUNNER.poll() is not None:
        _RUNNER = subprocess.Popen([sys.executable, str(Path(__file__).with_name("nbrunner.py"))], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True)
        atexit.register(lambda p=_RUNNER: (p.stdin.close(), p.wait()))
    return _RUNNER


def run_notebook(path, parameters:dict, timeout:float=600)->dict:
    """Run the notebook at `path` with `parameters` injected by papermill; return the notebook as it was run (a dict).
    A cell that raises fails the run with its traceback; so does a run longer than `timeout` seconds."""
    import tempfile
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook
    nb = parameterize_notebook(load_notebook_node(str(path)), parameters, report_mode=False, kernel_name="python3", language="python")
    run = json.loads(nbformat.writes(nb))
    with tempfile.TemporaryDirectory() as d:
        f, scratch = Path(d) / "run.ipynb", Path(d) / "tmp"
        f.write_text(json.dumps(run)); scratch.mkdir()
        p = _runner()
        p.stdin.write(json.dumps({"path": str(Path(path).resolve()), "run": str(f), "timeout": timeout, "tmp": str(scratch)}) + "\n")
        p.stdin.flush()
        reply = json.loads(p.stdout.readline())
        text = re.sub(r"\x1b\[[0-9;]*m", "", reply["text"])
        assert reply["code"] != -9, f"{Path(path).name} ran longer than {timeout:.0f} s with {parameters}"
        assert reply["code"] == 0, f"{Path(path).name} with {parameters} failed:\n{text}"
        left = sorted(str(q.relative_to(scratch)) for q in scratch.rglob("*") if q.is_file())
        assert not left, f"{Path(path).name} left files in the temporary folder (remove them at the end of the chapter): {left[:5]}"
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


def test_a_notebook_that_leaves_temporary_files_fails(tmp_path):
    "A chapter that writes scratch files must remove them: files left in the temporary folder fail its run, named."
    leak = "import tempfile, pathlib\nd = pathlib.Path(tempfile.mkdtemp())\n(d / 'left.csv').write_text('a')"
    with pytest.raises(AssertionError, match=r"tiny.ipynb left files in the temporary folder .*tmp\w+/left.csv"):
        run_notebook(_tiny_notebook(tmp_path, leak), CI_PARAMS)
    run_notebook(_tiny_notebook(tmp_path, leak + "\nimport shutil\nshutil.rmtree(d)"), CI_PARAMS)


def test_the_runner_imports_the_package_afresh(tmp_path):
    "A notebook sees mlparity as a new kernel would, not as the tests before it left it."
    import mlparity.monitor  # noqa: F401  (imported here, in the process that forks)
    run_notebook(_tiny_notebook(tmp_path, "import sys\nassert 'mlparity.monitor' not in sys.modules, 'inherited'"), CI_PARAMS)
